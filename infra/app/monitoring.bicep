// Log Analytics + Application Insights, both with local (key) auth off: telemetry is sent with Entra ID only.
param logAnalyticsName string
param appInsightsName string
param location string
param tags object

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output name string = appInsights.name
// Not a secret once local auth is off: ingestion also needs an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
output connectionString string = appInsights.properties.ConnectionString
