"""Conformance checks against external standards, with real tools.

FHIR: the HAPI FHIR validator loaded with the fpcds profiles
(:mod:`conformance.validator`), a real HAPI FHIR JPA server for round trips
(:mod:`conformance.fhir_server`) and the build of the profiles from their FSH
sources (:mod:`conformance.profiles`). The Java applications live in
``conformance/validator`` and ``conformance/fhir-server``; they are built on
demand with Maven (:mod:`conformance.build`) and run as local subprocesses on
loopback ports (:mod:`conformance.processes`). Nothing here is imported by the
``fpcds`` package at run time.
"""
