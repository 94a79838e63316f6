"""Making and checking the datasets: catalog, tasks, phrasing, oracle answers, row rules, validation."""
