Profile: FpcdsModelCard
Parent: DocumentReference
Id: fpcds-model-card
Title: "AI model card"
Description: "The model card of a deployed fpcds model (version, intended use, training data hash, metrics, limitations)."
* obeys fpcds-doc-1
* identifier 1..* MS
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier contains modelCard 1..1 MS
* identifier[modelCard].system 1..1
* identifier[modelCard].system = $sid-model-card
* identifier[modelCard].value 1..1
* status = #current
* type 1..1 MS
* type = $FPCDS#model-card
* subject MS
* subject only Reference(Device)
* description 1..1 MS
* content 1..1 MS
* content.attachment.contentType 1..1 MS
* content.attachment.title 1..1 MS

Profile: FpcdsSessionRecord
Parent: DocumentReference
Id: fpcds-session-record
Title: "Facial sEMG and motion session record"
Description: "A recorded session that an assessment was computed from, identified by its content SHA-256; the data stay with fpcds."
* identifier 1..* MS
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier contains sessionSha256 1..1 MS
* identifier[sessionSha256].system 1..1
* identifier[sessionSha256].system = $sid-session
* identifier[sessionSha256].value 1..1
* identifier[sessionSha256] obeys fpcds-sha256
* status = #current
* type 1..1 MS
* type = $FPCDS#session-record
* subject 1..1 MS
* subject only Reference(Patient)
* date 1..1 MS
* content 1..* MS
* content.attachment.contentType 1..1 MS
* content.attachment.title 1..1 MS
