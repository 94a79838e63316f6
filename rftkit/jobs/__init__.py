"""Fine-tuning job bodies and their rules, submitting them and following their status."""
