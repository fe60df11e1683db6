// The app's CapabilityStatement: what fpcds, as a SMART on FHIR client, does
// on the EHR's FHIR server.

Instance: fpcds-app
InstanceOf: CapabilityStatement
Usage: #definition
Title: "fpcds SMART on FHIR app"
Description: "What fpcds does on an EHR's FHIR R4 server as a SMART on FHIR client."
* url = "http://fpcds.example.org/fhir/CapabilityStatement/fpcds-app"
* version = "0.1.0"
* name = "FpcdsApp"
* title = "fpcds SMART on FHIR app (client)"
* status = #draft
* experimental = false
* date = "2026-11-25"
* publisher = "fpcds"
* description = "fpcds reads the patient in context and, after a clinician approves an assessment, writes the AI-produced Observations, the assessment DiagnosticReport and the CarePlan, together with the AI Device, its model card, the session record and the Provenance, in one transaction Bundle with urn:uuid references and conditional creates on business identifiers (ifNoneExist), so a retried write creates nothing twice. Where the server supports no transactions, it falls back to sequential conditional creates."
* kind = #capability
* software.name = "fpcds"
* software.version = "0.1.0"
* fhirVersion = #4.0.1
* format[+] = #json
* rest[+].mode = #client
* rest[=].documentation = "EHR launch and standalone launch per SMART App Launch 2.2."
* rest[=].security.cors = false
* rest[=].security.service = $restful-security#SMART-on-FHIR "SMART-on-FHIR"
* rest[=].security.description = "SMART App Launch 2.2: authorization code with PKCE (S256). Requested scopes: launch (or launch/patient), openid fhirUser online_access, patient/Patient.r, patient/Condition.rs, patient/Observation.crus, patient/DiagnosticReport.crs, patient/CarePlan.crs, patient/Provenance.crs, patient/DocumentReference.crs, patient/Device.crs, patient/QuestionnaireResponse.crs (or their v1 read/write equivalents). A grant without create and search on Observation, DiagnosticReport, CarePlan, Provenance, DocumentReference and Device is refused at launch: the write-back needs them (conditional creates search by identifier)."
* rest[=].interaction[+].code = #transaction
* rest[=].interaction[=].documentation = "One transaction per approved assessment."
* rest[=].resource[+].type = #Patient
* rest[=].resource[=].interaction[+].code = #read
* rest[=].resource[+].type = #Practitioner
* rest[=].resource[=].interaction[+].code = #read
* rest[=].resource[=].documentation = "The signed-in clinician (fhirUser), recorded as verifier."
* rest[=].resource[+].type = #Observation
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsHouseBrackmannGrade)
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsSunnybrook)
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsEface)
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsAsymmetryMeasure)
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsSemgMeasure)
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsClassificationProbability)
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsRecoveryPrognosis)
* rest[=].resource[=].interaction[+].code = #create
* rest[=].resource[=].conditionalCreate = true
* rest[=].resource[+].type = #DiagnosticReport
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsAssessmentReport)
* rest[=].resource[=].interaction[+].code = #create
* rest[=].resource[=].conditionalCreate = true
* rest[=].resource[+].type = #CarePlan
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsCarePlan)
* rest[=].resource[=].interaction[+].code = #create
* rest[=].resource[=].conditionalCreate = true
* rest[=].resource[+].type = #Device
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsAIDevice)
* rest[=].resource[=].interaction[+].code = #create
* rest[=].resource[=].conditionalCreate = true
* rest[=].resource[+].type = #DocumentReference
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsModelCard)
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsSessionRecord)
* rest[=].resource[=].interaction[+].code = #create
* rest[=].resource[=].conditionalCreate = true
* rest[=].resource[+].type = #Provenance
* rest[=].resource[=].supportedProfile[+] = Canonical(FpcdsProvenance)
* rest[=].resource[=].interaction[+].code = #create
* rest[=].resource[=].interaction[+].code = #search-type
* rest[=].resource[=].documentation = "Searched by target before a retried write, so a write is never made twice."
* rest[=].resource[+].type = #Condition
* rest[=].resource[=].interaction[+].code = #search-type
* rest[=].resource[=].documentation = "The facial palsy and its onset, shown with earlier assessments."
* rest[=].resource[+].type = #QuestionnaireResponse
* rest[=].resource[=].interaction[+].code = #create
* rest[=].resource[=].interaction[+].code = #search-type
* rest[=].resource[=].conditionalCreate = true
* rest[=].resource[=].documentation = "The Facial Disability Index (Questionnaire fdi), written when filled in and read back as a model input."
