// `azd up` entry point: one resource group holding everything, so `azd down` removes it all.
// Plain resource declarations only (no registry modules): the template is checked offline in CI.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('The azd environment name: names the resource group and seeds the unique suffix of every resource.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@secure()
@minLength(32)
@description('The key POST /tool/search_catalog expects (TOOL_API_KEY). The preprovision hook generates one when unset.')
param toolApiKey string

@description('Concurrent HTTP calls one instance takes before Flex Consumption adds another (the app is fully async).')
@minValue(1)
@maxValue(1000)
param perInstanceConcurrency int = 32

@description('Instances kept warm for HTTP, so the first burst of a training step does not wait for cold starts (0 = none).')
@minValue(0)
@maxValue(20)
param alwaysReadyInstances int = 1

@description('Upper bound of instances Flex Consumption may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('The Azure Table that records tool calls per rollout (TRACE_TABLE_NAME).')
param traceTableName string = 'rfttraces'

var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, environmentName, location))
var functionAppName = 'func-rft-${token}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-rft-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-rft-${token}'
    appInsightsName: 'appi-rft-${token}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'strft${token}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    traceTableName: traceTableName
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    principalId: identity.outputs.principalId
  }
}

module app 'app/function.bicep' = {
  name: 'function'
  scope: rg
  // The host reaches storage with the identity from its first start: give it its roles first.
  dependsOn: [rbac]
  params: {
    name: functionAppName
    planName: 'plan-rft-${token}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    toolApiKey: toolApiKey
    traceTableName: traceTableName
    perInstanceConcurrency: perInstanceConcurrency
    alwaysReadyInstances: alwaysReadyInstances
    maximumInstanceCount: maximumInstanceCount
  }
}

// azd stores these in the environment (.azure/<env>/.env) and hands them to the hooks.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output FUNC_APP_NAME string = app.outputs.name
// Apps created with unique default host names are not <name>.azurewebsites.net: use the real one.
output FUNC_APP_DEFAULT_HOST_NAME string = app.outputs.defaultHostName
output TOOL_BASE_URL string = 'https://${app.outputs.defaultHostName}'
