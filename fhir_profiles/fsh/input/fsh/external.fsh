// Fragments of external code systems that the offline build cannot fetch.
// FHIR R4 4.0.1 ships a v3-ObservationValue that predates the AI
// Transparency codes, and the AI Transparency on FHIR package is not on any
// reachable registry. The validator merges each fragment into the R4 copy of
// its system (if any), so both old and new codes validate. These files go
// to fhir_profiles/terminology/, not to the published fpcds resources.

CodeSystem: V3ObservationValueAIFragment
Id: v3-ObservationValue-ai-fragment
Title: "v3 ObservationValue: AI Transparency codes (fragment)"
Description: "The AI Transparency security label code of HL7 Terminology's v3-ObservationValue, which FHIR R4 4.0.1 predates."
* ^url = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
* ^status = #active
* ^content = #fragment
* ^caseSensitive = true
* #AIAST "Artificial Intelligence asserted" "Security provenance metadata: the information was asserted by an artificial intelligence system (e.g. clinical decision support or machine learning)."

CodeSystem: AIDeviceTypeFragment
Id: ai-device-type-fragment
Title: "AI device types (fragment)"
Description: "The Device.type code for AI systems of HL7 AI Transparency on FHIR (STU1 ballot)."
* ^url = "http://hl7.org/fhir/uv/aitransparency/CodeSystem/AIdeviceTypeCS"
* ^status = #active
* ^content = #fragment
* ^caseSensitive = true
* #Artificial-Intelligence "All kinds of Artificial Intelligence" "Any type of artificial intelligence system, undifferentiated."
