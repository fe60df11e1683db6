"""The sandbox EHR: a SMART authorization server (Authlib), a scope-checking FHIR endpoint in front of
a real FHIR server (sekmet-fhir, run as a subprocess on loopback), simulated patients, and an EHR-like
page that launches the app in an iframe. ``fpcds demo`` runs it with the app (:mod:`.stack`).

For development and tests only: it signs everyone in as one simulated clinician.
"""
