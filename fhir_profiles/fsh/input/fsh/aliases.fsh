// Code systems and canonical URLs used throughout.
Alias: $FPCDS = http://fpcds.example.org/fhir/CodeSystem/fpcds
Alias: $UCUM = http://unitsofmeasure.org
Alias: $v3-ObservationValue = http://terminology.hl7.org/CodeSystem/v3-ObservationValue
Alias: $obs-category = http://terminology.hl7.org/CodeSystem/observation-category
Alias: $participant-type = http://terminology.hl7.org/CodeSystem/provenance-participant-type
Alias: $v3-DataOperation = http://terminology.hl7.org/CodeSystem/v3-DataOperation
Alias: $restful-security = http://terminology.hl7.org/CodeSystem/restful-security-service
// HL7 AI Transparency on FHIR (STU1 ballot): device type for AI systems.
Alias: $ai-device-type = http://hl7.org/fhir/uv/aitransparency/CodeSystem/AIdeviceTypeCS
// Identifier systems (business identifiers used for conditional create).
Alias: $sid-output = http://fpcds.example.org/fhir/sid/assessment-output
Alias: $sid-model = http://fpcds.example.org/fhir/sid/model
Alias: $sid-model-card = http://fpcds.example.org/fhir/sid/model-card
Alias: $sid-session = http://fpcds.example.org/fhir/sid/session-sha256
