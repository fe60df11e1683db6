// Shared example instances: patients, the approving clinician, the AI model
// (Device) and its model card. All data are invented.

RuleSet: ExamplePatient(family, given, gender, birthDate, mrn)
* identifier[+].system = "http://hospital.example.org/fhir/sid/mrn"
* identifier[=].value = "{mrn}"
* name[+].family = "{family}"
* name[=].given[+] = "{given}"
* gender = #{gender}
* birthDate = "{birthDate}"

Instance: patient-healthy
InstanceOf: Patient
Title: "Example patient without facial palsy"
Usage: #example
* insert ExamplePatient(Example, Hanna, female, 1987-05-14, MRN-100001)

Instance: patient-graded
InstanceOf: Patient
Title: "Example patient with a left peripheral facial palsy"
Usage: #example
* insert ExamplePatient(Example, Jonas, male, 1979-11-02, MRN-100002)

Instance: patient-central
InstanceOf: Patient
Title: "Example patient with a suspected central facial palsy"
Usage: #example
* insert ExamplePatient(Example, Maria, female, 1954-02-21, MRN-100003)

Instance: example-clinician
InstanceOf: Practitioner
Title: "Example approving clinician"
Usage: #example
* identifier[+].system = "http://hospital.example.org/fhir/sid/staff"
* identifier[=].value = "STAFF-2001"
* name[+].family = "Example"
* name[=].given[+] = "Clara"
* name[=].prefix[+] = "Dr."

Instance: fpcds-grading-model-card
InstanceOf: FpcdsModelCard
Title: "Model card of the fpcds grading model 0.1.0"
Usage: #example
* identifier[modelCard].value = "fpcds-grading@0.1.0/model-card"
* status = #current
* type = $FPCDS#model-card "AI model card"
* type.text = "AI model card"
* description = "Model card of the fpcds grading model 0.1.0 (intended use, inputs, outputs, training data, limitations)."
* content[+].attachment.contentType = #text/markdown
* content[=].attachment.language = #en
* content[=].attachment.title = "fpcds grading model 0.1.0 model card"
* content[=].attachment.data = "IyBmcGNkcyBncmFkaW5nIG1vZGVsIDAuMS4wCgpPdXRwdXRzOiBIb3VzZS1CcmFja21hbm4gZ3JhZGUsIFN1bm55YnJvb2sgYW5kIGVGQUNFIHNjb3JlcywgY2VudHJhbC12cy1wZXJpcGhlcmFsIGFuZCBzeW5raW5lc2lzIHByb2JhYmlsaXRpZXMsIHJlY292ZXJ5IHByb2dub3Npcy4KSW5wdXRzOiBmYWNpYWwgc3VyZmFjZSBFTUcgYW5kIGZhY2lhbCBtb3Rpb24gZmVhdHVyZXMgb2YgdGhlIHN0YW5kYXJkIHByb3RvY29sLgpJbnRlbmRlZCB1c2U6IGRlY2lzaW9uIHN1cHBvcnQgZm9yIGNsaW5pY2lhbnMgYXNzZXNzaW5nIGZhY2lhbCBwYWxzeTsgZXZlcnkgb3V0cHV0IGlzIHJldmlld2VkIGFuZCBhcHByb3ZlZCBieSBhIGNsaW5pY2lhbi4KVHJhaW5pbmcgZGF0YTogYSBzaW11bGF0ZWQgY29ob3J0LiBOb3QgdmFsaWRhdGVkIG9uIHJlYWwgcGF0aWVudHM7IG5vIGNsYWltIG9mIGNsaW5pY2FsIHZhbGlkaXR5Lgo="

Instance: fpcds-grading-model
InstanceOf: FpcdsAIDevice
Title: "The fpcds grading model 0.1.0 as an AI Device"
Usage: #example
* extension[modelCard].valueReference = Reference(fpcds-grading-model-card)
* identifier[model].value = "fpcds-grading@0.1.0"
* status = #active
* manufacturer = "fpcds"
* deviceName[+].name = "fpcds facial palsy grading model"
* deviceName[=].type = #model-name
* type = $ai-device-type#Artificial-Intelligence "All kinds of Artificial Intelligence"
* version[+].value = "0.1.0"
* note[+].text = "Trained on a simulated cohort; not validated on real patients."

RuleSet: ExampleSession(patient, sha256, date, file)
* identifier[sessionSha256].value = "{sha256}"
* status = #current
* type = $FPCDS#session-record "Facial sEMG and motion session record"
* type.text = "Facial sEMG and motion session record"
* subject = Reference({patient})
* date = "{date}"
* description = "Standard protocol: 10 tasks held 3 s, 3 repetitions; bilateral facial sEMG at 2000 Hz and a 478-point face mesh at 30 Hz."
* content[+].attachment.contentType = #application/octet-stream
* content[=].attachment.title = "{file}"

Instance: session-healthy
InstanceOf: FpcdsSessionRecord
Title: "Session record of the healthy example"
Usage: #example
* insert ExampleSession(patient-healthy, 74aa07f56eea0d1a91d28f6fbee621d31ccc7920cc71b289eb90e14f94781801, 2026-03-02T09:05:00+01:00, session-healthy.fpcds)

Instance: session-graded
InstanceOf: FpcdsSessionRecord
Title: "Session record of the peripheral palsy example"
Usage: #example
* insert ExampleSession(patient-graded, 6e6064bd658f1c208e3a7c68261bed106d35a7376de4f5795c747f5d22e9ec4e, 2026-03-02T10:15:00+01:00, session-graded.fpcds)

Instance: session-central
InstanceOf: FpcdsSessionRecord
Title: "Session record of the suspected central palsy example"
Usage: #example
* insert ExampleSession(patient-central, aff0ef89ca97440c7eb4faad1937b8bd4fa4d8727823f001b76da726bdf0b236, 2026-03-02T11:40:00+01:00, session-central.fpcds)

// Parts every AI-produced example Observation shares.
RuleSet: AIObservation(assessment, output, status, patient, session, effective, issued, method, methodText)
* meta.security[aiAsserted] = $v3-ObservationValue#AIAST "Artificial Intelligence asserted"
* identifier[assessmentOutput].value = "{assessment}/{output}"
* status = #{status}
* subject = Reference({patient})
* effectiveDateTime = "{effective}"
* issued = "{issued}"
* method = $FPCDS#{method}
* method.text = "{methodText}"
* device = Reference(fpcds-grading-model)
* derivedFrom[+] = Reference({session})

RuleSet: TaskComponentValue(task)
* component[task].valueCodeableConcept = $FPCDS#{task}
