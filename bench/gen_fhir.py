#!/usr/bin/env python3
"""Deterministic generator of Synthea-like FHIR R4 patient Bundles (stdlib only).

Usage: gen_fhir.py OUT_DIR [--seed 1] [--bundles 4] [--bundle-mb 3] [--ndjson-mb 100] [--bulk-mb 0]

Writes
  OUT_DIR/bundles/patient-NNNN.json  --bundles transaction Bundles of about --bundle-mb MB each,
                                     pretty-printed with two-space indents as Synthea writes them;
  OUT_DIR/ndjson/bundles.ndjson      compact patient Bundles, one per line, until the file holds at
                                     least --ndjson-mb MB (the shape ../shared/peers/fhir_peer.py reads);
  OUT_DIR/bulk/export.ndjson         with --bulk-mb: a bulk-data export, one resource per line with
                                     relative references (Patient/id), as Epic and Cerner export.
Each Bundle: a US Core Patient (MRN, SSN, driver's licence, official and maiden names, address with
geolocation, race, ethnicity, birth sex), the Organization and Practitioner, then one encounter after
another with its Condition, vital signs (blood pressure with components), a lab panel (Observations
plus the DiagnosticReport that lists them), a MedicationRequest, an Immunization, a Procedure and a
CareTeam (a type Concord skips), and a closing Provenance. References are urn:uuid fullUrls as in
Synthea. All of it validates against fhir.resources R4B. Same arguments -> byte-identical output.
"""
import argparse
import json
import os
import random
import uuid

FAMILY = ["Hagenes", "Kub", "Lindgren", "Okafor", "Nakamura", "Reyes", "Whitfield", "Schmidt", "Patel",
          "Nguyen", "Garcia", "O'Keefe", "Kowalski", "Haddad", "Brennan", "Quispe", "Lopez", "Chen"]
GIVEN = {"female": ["Marisol", "Amy", "Linh", "Siobhan", "Rosa", "Camila", "Mei", "Zoë", "Ana"],
         "male": ["Omar", "Chidi", "Thomas", "Ren", "Eldon", "Thabo", "José", "Ken", "Luis"]}
CITIES = [("Springfield", "MA", "01104"), ("Worcester", "MA", "01602"), ("Boston", "MA", "02118"),
          ("Lowell", "MA", "01852"), ("Quincy", "MA", "02169")]
VITALS = [("8302-2", "Body Height", "cm", 150, 190), ("29463-7", "Body Weight", "kg", 50, 110),
          ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", 18, 35), ("8867-4", "Heart rate", "/min", 55, 100),
          ("9279-1", "Respiratory rate", "/min", 12, 20)]
LABS = [("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 65, 140, 70, 99),
        ("6299-2", "Urea nitrogen [Mass/volume] in Blood", "mg/dL", 7, 25, 7, 20),
        ("38483-4", "Creatinine [Mass/volume] in Blood", "mg/dL", 0.6, 1.4, 0.6, 1.2),
        ("49765-1", "Calcium [Mass/volume] in Blood", "mg/dL", 8.4, 10.4, 8.5, 10.2),
        ("2947-0", "Sodium [Moles/volume] in Blood", "mmol/L", 134, 146, 136, 145),
        ("6298-4", "Potassium [Moles/volume] in Blood", "mmol/L", 3.4, 5.4, 3.5, 5.1),
        ("2069-3", "Chloride [Moles/volume] in Blood", "mmol/L", 96, 110, 98, 107),
        ("20565-8", "Carbon dioxide, total [Moles/volume] in Blood", "mmol/L", 20, 30, 22, 29)]
CONDITIONS = [("444814009", "Viral sinusitis (disorder)"), ("195662009", "Acute viral pharyngitis (disorder)"),
              ("10509002", "Acute bronchitis (disorder)"), ("38341003", "Hypertension"), ("44054006", "Diabetes mellitus type 2"),
              ("162864005", "Body mass index 30+ - obesity (finding)")]
MEDS = [("314076", "lisinopril 10 MG Oral Tablet"), ("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet"),
        ("617310", "atorvastatin 20 MG Oral Tablet"), ("197361", "amlodipine 5 MG Oral Tablet")]
VACCINES = [("140", "Influenza, seasonal, injectable, preservative free"), ("113", "Td (adult) preservative free"),
            ("208", "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose")]
PROCEDURES = [("430193006", "Medication Reconciliation (procedure)"), ("710824005", "Assessment of health and social care needs (procedure)"),
              ("171207006", "Depression screening (procedure)")]
LOINC, SNOMED, UCUM = "http://loinc.org", "http://snomed.info/sct", "http://unitsofmeasure.org"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def uid(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def when(self, day):
        h, m, s = self.r.randint(7, 18), self.r.randint(0, 59), self.r.randint(0, 59)
        return "%sT%02d:%02d:%02d-04:00" % (day, h, m, s)

    def concept(self, system, code, display):
        return {"coding": [{"system": system, "code": code, "display": display}], "text": display}

    def quantity(self, value, unit):
        return {"value": value, "unit": unit, "system": UCUM, "code": unit}

    def bundle(self, index, target_bytes):
        r = self.r
        gender = r.choice(["female", "male"])
        family, given = r.choice(FAMILY), r.choice(GIVEN[gender])
        city, state, zipcode = r.choice(CITIES)
        pid, org, doc = self.uid(), self.uid(), self.uid()
        patient_ref = {"reference": "urn:uuid:" + pid}
        year = r.randint(1935, 2005)
        patient = {
            "resourceType": "Patient", "id": pid,
            "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
            "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Generated by Synthea.</div>"},
            "extension": [
                {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", "extension": [
                    {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": "2106-3", "display": "White"}},
                    {"url": "text", "valueString": "White"}]},
                {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity", "extension": [
                    {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": "2186-5", "display": "Not Hispanic or Latino"}},
                    {"url": "text", "valueString": "Not Hispanic or Latino"}]},
                {"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", "valueString": r.choice(GIVEN["female"]) + " " + r.choice(FAMILY)},
                {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": gender[0].upper()}],
            "identifier": [
                {"system": "https://github.com/synthetichealth/synthea", "value": pid},
                {"type": self.concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical Record Number"),
                 "system": "http://hospital.smarthealthit.org", "value": pid},
                {"type": self.concept("http://terminology.hl7.org/CodeSystem/v2-0203", "SS", "Social Security Number"),
                 "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-%02d-%04d" % (r.randint(10, 99), r.randint(0, 9999))},
                {"type": self.concept("http://terminology.hl7.org/CodeSystem/v2-0203", "DL", "Driver's license number"),
                 "system": "urn:oid:2.16.840.1.113883.4.3.25", "value": "S999%05d" % r.randint(0, 99999)}],
            "name": [{"use": "official", "family": family, "given": [given], "prefix": ["Ms." if gender == "female" else "Mr."]}],
            "telecom": [{"system": "phone", "value": "555-%03d-%04d" % (r.randint(100, 999), r.randint(0, 9999)), "use": "home"}],
            "gender": gender, "birthDate": "%04d-%02d-%02d" % (year, r.randint(1, 12), r.randint(1, 28)),
            "address": [{"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/geolocation", "extension": [
                {"url": "latitude", "valueDecimal": round(r.uniform(41.5, 42.7), 6)}, {"url": "longitude", "valueDecimal": round(r.uniform(-73.2, -70.9), 6)}]}],
                "line": ["%d %s Street" % (r.randint(1, 9999), r.choice(FAMILY))], "city": city, "state": state, "postalCode": zipcode, "country": "US"}],
            "maritalStatus": self.concept("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "M", "Married"),
            "multipleBirthBoolean": False,
            "communication": [{"language": self.concept("urn:ietf:bcp:47", "en-US", "English (United States)")}],
        }
        if gender == "female" and r.random() < 0.5:
            patient["name"].append({"use": "maiden", "family": r.choice(FAMILY), "given": [given]})
        entries = [patient,
                   {"resourceType": "Organization", "id": org, "identifier": [{"system": "https://github.com/synthetichealth/synthea", "value": org}],
                    "active": True, "name": "BAYSTATE MEDICAL CENTER", "telecom": [{"system": "phone", "value": "4137942000"}],
                    "address": [{"line": ["759 CHESTNUT STREET"], "city": "SPRINGFIELD", "state": "MA", "postalCode": "01199", "country": "US"}]},
                   {"resourceType": "Practitioner", "id": doc, "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "99999%05d" % r.randint(0, 99999)}],
                    "active": True, "name": [{"family": r.choice(FAMILY), "given": [r.choice(GIVEN["male"])], "prefix": ["Dr."]}], "gender": "male"}]
        size = 4000
        day = 0
        while size < target_bytes:
            day += r.randint(20, 200)
            y, d = 2000 + day // 365, day % 365
            date = "%04d-%02d-%02d" % (y, 1 + d // 31 % 12, 1 + d % 28)
            start = self.when(date)
            enc = self.uid()
            enc_ref = {"reference": "urn:uuid:" + enc}
            batch = [{"resourceType": "Encounter", "id": enc, "status": "finished",
                      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                      "type": [self.concept(SNOMED, "185349003", "Encounter for check up (procedure)")],
                      "subject": patient_ref, "participant": [{"type": [self.concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PPRF", "primary performer")],
                                                               "individual": {"reference": "urn:uuid:" + doc}}],
                      "period": {"start": start, "end": start}, "serviceProvider": {"reference": "urn:uuid:" + org}}]
            if r.random() < 0.4:
                code, name = r.choice(CONDITIONS)
                batch.append({"resourceType": "Condition", "id": self.uid(),
                              "clinicalStatus": self.concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
                              "verificationStatus": self.concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
                              "category": [self.concept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis")],
                              "code": self.concept(SNOMED, code, name), "subject": patient_ref, "encounter": enc_ref,
                              "onsetDateTime": start, "recordedDate": start})
            vital_cat = [self.concept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "vital-signs")]
            for code, name, unit, lo, hi in VITALS:
                batch.append({"resourceType": "Observation", "id": self.uid(), "status": "final", "category": vital_cat,
                              "code": self.concept(LOINC, code, name), "subject": patient_ref, "encounter": enc_ref,
                              "effectiveDateTime": start, "issued": start.replace("-04:00", ".123-04:00"),
                              "valueQuantity": self.quantity(round(r.uniform(lo, hi), 1), unit)})
            batch.append({"resourceType": "Observation", "id": self.uid(), "status": "final", "category": vital_cat,
                          "code": self.concept(LOINC, "85354-9", "Blood pressure panel with all children optional"),
                          "subject": patient_ref, "encounter": enc_ref, "effectiveDateTime": start,
                          "component": [{"code": self.concept(LOINC, "8462-4", "Diastolic Blood Pressure"), "valueQuantity": self.quantity(r.randint(60, 95), "mm[Hg]")},
                                        {"code": self.concept(LOINC, "8480-6", "Systolic Blood Pressure"), "valueQuantity": self.quantity(r.randint(100, 160), "mm[Hg]")}]})
            lab_cat = [self.concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "laboratory")]
            results = []
            for code, name, unit, lo, hi, rlo, rhi in LABS:
                oid = self.uid()
                value = round(r.uniform(lo, hi), 1)
                batch.append({"resourceType": "Observation", "id": oid, "status": "final", "category": lab_cat,
                              "code": self.concept(LOINC, code, name), "subject": patient_ref, "encounter": enc_ref,
                              "effectiveDateTime": start, "issued": start, "valueQuantity": self.quantity(value, unit),
                              "referenceRange": [{"low": self.quantity(rlo, unit), "high": self.quantity(rhi, unit)}],
                              "interpretation": [self.concept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                                              "H" if value > rhi else ("L" if value < rlo else "N"),
                                                              "High" if value > rhi else ("Low" if value < rlo else "Normal"))]})
                results.append({"reference": "urn:uuid:" + oid, "display": name})
            batch.append({"resourceType": "DiagnosticReport", "id": self.uid(), "status": "final",
                          "identifier": [{"system": "http://lab.baystatehealth.org/accession", "value": "ACC-%d-%06d" % (index, day)}],
                          "category": [self.concept("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")],
                          "code": self.concept(LOINC, "51990-0", "Basic metabolic panel - Blood"), "subject": patient_ref,
                          "encounter": enc_ref, "effectiveDateTime": start, "issued": start, "result": results})
            code, name = r.choice(MEDS)
            batch.append({"resourceType": "MedicationRequest", "id": self.uid(), "status": r.choice(["active", "stopped", "completed"]), "intent": "order",
                          "medicationCodeableConcept": self.concept("http://www.nlm.nih.gov/research/umls/rxnorm", code, name),
                          "subject": patient_ref, "encounter": enc_ref, "authoredOn": start,
                          "requester": {"reference": "urn:uuid:" + doc, "display": "Dr. Eldon Wunsch"},
                          "dosageInstruction": [{"sequence": 1, "text": "Take one tablet by mouth daily",
                                                 "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                                                 "doseAndRate": [{"doseQuantity": {"value": 1}}]}]})
            if r.random() < 0.3:
                code, name = r.choice(VACCINES)
                batch.append({"resourceType": "Immunization", "id": self.uid(), "status": "completed",
                              "vaccineCode": self.concept("http://hl7.org/fhir/sid/cvx", code, name), "patient": patient_ref,
                              "encounter": enc_ref, "occurrenceDateTime": start, "primarySource": True,
                              "lotNumber": "LOT%06d" % r.randint(0, 999999)})
            code, name = r.choice(PROCEDURES)
            batch.append({"resourceType": "Procedure", "id": self.uid(), "status": "completed",
                          "code": self.concept(SNOMED, code, name), "subject": patient_ref, "encounter": enc_ref,
                          "performedPeriod": {"start": start, "end": start}})
            batch.append({"resourceType": "CareTeam", "id": self.uid(), "status": "active", "subject": patient_ref,
                          "participant": [{"member": {"reference": "urn:uuid:" + doc}}]})
            size += len(json.dumps(batch))
            entries += batch
        entries.append({"resourceType": "Provenance", "id": self.uid(), "target": [patient_ref],
                        "recorded": "2024-01-15T10:00:00-05:00", "agent": [{"who": {"reference": "urn:uuid:" + org}}]})
        return {"resourceType": "Bundle", "type": "transaction",
                "entry": [{"fullUrl": "urn:uuid:" + e["id"], "resource": e, "request": {"method": "POST", "url": e["resourceType"]}} for e in entries]}


def relative_references(value, types):
    """Rewrites urn:uuid references to Type/id, as a bulk export (one resource per line) writes them."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "reference" and isinstance(v, str) and v.startswith("urn:uuid:") and v[9:] in types:
                out[k] = types[v[9:]] + "/" + v[9:]
            else:
                out[k] = relative_references(v, types)
        return out
    if isinstance(value, list):
        return [relative_references(v, types) for v in value]
    return value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bundles", type=int, default=4)
    ap.add_argument("--bundle-mb", type=float, default=3.0)
    ap.add_argument("--ndjson-mb", type=float, default=100.0)
    ap.add_argument("--bulk-mb", type=float, default=0.0)
    args = ap.parse_args()
    gen = Gen(args.seed)
    os.makedirs(os.path.join(args.out, "bundles"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "ndjson"), exist_ok=True)
    total = 0
    for i in range(args.bundles):
        # Two-space indentation makes the text about 1.7 times its compact size.
        text = json.dumps(gen.bundle(i, int(args.bundle_mb * 1e6 / 1.7)), indent=2, ensure_ascii=False) + "\n"
        with open(os.path.join(args.out, "bundles", "patient-%04d.json" % i), "w", encoding="utf-8") as f:
            f.write(text)
        total += len(text.encode())
    n = 0
    size = 0
    with open(os.path.join(args.out, "ndjson", "bundles.ndjson"), "w", encoding="utf-8") as f:
        while size < args.ndjson_mb * 1e6:
            line = json.dumps(gen.bundle(1000 + n, gen.r.randint(100_000, 600_000)), separators=(",", ":"), ensure_ascii=False) + "\n"
            f.write(line)
            size += len(line.encode())
            n += 1
    print("gen_fhir: %d bundles (%.1f MB) in %s/bundles, %d bundle lines (%.1f MB) in %s/ndjson/bundles.ndjson" % (
        args.bundles, total / 1e6, args.out, n, size / 1e6, args.out))
    if args.bulk_mb > 0:
        # A FHIR bulk-data export: one resource per line, references relative (Patient/id).
        os.makedirs(os.path.join(args.out, "bulk"), exist_ok=True)
        lines = 0
        size = 0
        with open(os.path.join(args.out, "bulk", "export.ndjson"), "w", encoding="utf-8") as f:
            while size < args.bulk_mb * 1e6:
                bundle = gen.bundle(5000 + lines, gen.r.randint(100_000, 600_000))
                types = {e["resource"]["id"]: e["resource"]["resourceType"] for e in bundle["entry"]}
                for e in bundle["entry"]:
                    line = json.dumps(relative_references(e["resource"], types), separators=(",", ":"), ensure_ascii=False) + "\n"
                    f.write(line)
                    size += len(line.encode())
                    lines += 1
        print("gen_fhir: %d resource lines (%.1f MB) in %s/bulk/export.ndjson" % (lines, size / 1e6, args.out))


if __name__ == "__main__":
    main()
