// The app's storage: the Functions host (blob leases of the timer trigger, host keys), the deployment package
// container of Flex Consumption, and the table of the trace store (TRACE_STORE=table). Entra ID only.
param name string
param location string
param tags object
param deploymentContainerName string
param traceTableName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  //checkov:skip=CKV_AZURE_35:Flex Consumption without a virtual network reaches storage over its public endpoint; access needs Entra ID (shared keys off)
  //checkov:skip=CKV_AZURE_59:Same as CKV_AZURE_35; no anonymous blob access (allowBlobPublicAccess false) and no shared keys
  //checkov:skip=CKV_AZURE_206:LRS on purpose: the account holds a rebuildable deployment package and rollout traces kept 48 hours
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Flex Consumption without a virtual network reaches its storage over the public endpoint (with Entra ID).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource traceTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: traceTableName
}

output name string = storage.name
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
