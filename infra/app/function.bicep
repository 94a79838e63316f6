// The Function App on Flex Consumption (FC1, Linux, Python 3.11) and every app setting it gets.
param name string
param planName string
param location string
param tags object
@description('The service name in azure.yaml: azd finds the app to deploy by this tag.')
param serviceName string
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerUrl string
param appInsightsConnectionString string
@secure()
param toolApiKey string
param traceTableName string
param perInstanceConcurrency int
param alwaysReadyInstances int
param maximumInstanceCount int
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  //checkov:skip=CKV_AZURE_225:Zone redundancy on Flex Consumption exists only in some regions and keeps 2+ always-ready instances billed; the service retries failed calls
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_222:Azure OpenAI's training service calls /tool/search_catalog and /score from the internet: access must be public
  //checkov:skip=CKV_AZURE_17:The training service presents no client certificate; the tool is protected by TOOL_API_KEY
  //checkov:skip=CKV_AZURE_212:Flex Consumption keeps instances warm with functionAppConfig alwaysReady (set here), not siteConfig worker counts
  //checkov:skip=CKV_AZURE_213:App Service health check (healthCheckPath) is not supported on Flex Consumption; GET /health is for people and monitors
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Every setting here is one the app or the Functions host reads (tests/infra/test_infra.py checks the names).
      // Flex Consumption takes the runtime from functionAppConfig and rejects FUNCTIONS_WORKER_RUNTIME here.
      appSettings: [
        // The host's own storage through the identity: no connection string, shared keys are off.
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
        // Scaled out, the tool calls and the grading of one rollout land on different instances: share one table.
        { name: 'TRACE_STORE', value: 'table' }
        { name: 'TRACE_TABLE_NAME', value: traceTableName }
        // The training service does not forward grader auth headers yet.
        { name: 'SCORE_AUTH_DISABLED', value: 'true' }
        // The tool's key: the job sends it in tools[].headers (FUNC_KEY in .env).
        { name: 'TOOL_API_KEY', value: toolApiKey }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReadyInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyInstances }] : []
        triggers: {
          http: {
            perInstanceConcurrency: perInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// No basic-auth (publishing profile) deployments: azd and the Azure CLI deploy with an Entra token.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
