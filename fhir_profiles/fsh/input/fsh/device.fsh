Extension: FpcdsModelCardReference
Id: model-card
Title: "Model card"
Description: "The model card of an AI Device, as a DocumentReference. It plays the role of the model-card extension of HL7 AI Transparency on FHIR (STU1 ballot), whose package is not available to this offline build."
Context: Device
* value[x] 1..1
* value[x] only Reference(FpcdsModelCard)

Profile: FpcdsAIDevice
Parent: Device
Id: fpcds-ai-device
Title: "fpcds AI model (Device)"
Description: "A deployed fpcds model as a Device of type Artificial-Intelligence (HL7 AI Transparency on FHIR), identified by model id and version, with its model card."
* extension contains FpcdsModelCardReference named modelCard 1..1 MS
* identifier 1..* MS
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier contains model 1..1 MS
* identifier[model].system 1..1
* identifier[model].system = $sid-model
* identifier[model].value 1..1
* identifier[model] ^short = "model id@version"
* status MS
* manufacturer MS
* deviceName 1..* MS
* deviceName.name MS
* deviceName.type MS
* type 1..1 MS
* type = $ai-device-type#Artificial-Intelligence
* version 1..* MS
* version.value MS
