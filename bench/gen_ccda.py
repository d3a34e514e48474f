#!/usr/bin/env python3
"""Deterministic corpus of realistic C-CDA R2.1 Continuity of Care Documents for the CCDA benchmark.

Usage: gen_ccda.py COUNT SEED OUTDIR [--min-kb 50] [--max-kb 500]

Each document has the US Realm header (ids with MRN and SSN roots, names with given x2 and suffix,
birthTime with offset, address, telecoms, race with sdtc:raceCode, ethnicity, language), a custodian
and author organization, and the nine sections Concord reads (Results, Vital Signs, Problems,
Medications, Allergies, Immunizations, Encounters, Procedures, Social History), each with a narrative
table whose row IDs the entries' originalText/reference point at. Entry counts are chosen so that the
file size lands uniformly between --min-kb and --max-kb. Same COUNT and SEED give byte-identical files.
"""
import argparse
import os
import random

LABS = [
    ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 99, 60, 180),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, 0.4, 2.5),
    ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 3.0, 6.0),
    ("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 136, 145, 128, 150),
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 17.5, 9.0, 18.0),
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.0, 5.6, 4.5, 11.0),
    ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 11.0, 3.0, 15.0),
    ("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150, 400, 90, 500),
    ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 0, 200, 120, 280),
    ("34714-6", "INR in Blood by Coagulation assay", "{INR}", 0.8, 1.2, 0.9, 3.5),
]
PANELS = [("24323-8", "Comprehensive metabolic panel"), ("58410-2", "CBC panel - Blood by Automated count"),
          ("57698-3", "Lipid panel with direct LDL")]
VITALS = [("8480-6", "Systolic blood pressure", "mm[Hg]", 100, 160), ("8462-4", "Diastolic blood pressure", "mm[Hg]", 60, 100),
          ("8867-4", "Heart rate", "/min", 55, 110), ("8310-5", "Body temperature", "Cel", 36.1, 38.5),
          ("29463-7", "Body weight", "kg", 50, 120), ("8302-2", "Body height", "cm", 150, 195),
          ("2708-6", "Oxygen saturation in Arterial blood", "%", 90, 100)]
PROBLEMS = [("44054006", "Diabetes mellitus type 2", "E11.9"), ("38341003", "Hypertensive disorder", "I10"),
            ("55822004", "Hyperlipidemia", "E78.5"), ("195967001", "Asthma", "J45.909"),
            ("13645005", "Chronic obstructive lung disease", "J44.9"), ("35489007", "Depressive disorder", "F32.9"),
            ("49436004", "Atrial fibrillation", "I48.91"), ("40055000", "Chronic sinusitis", "J32.9")]
MEDS = [("197361", "Amlodipine 5 MG Oral Tablet"), ("860975", "Metformin hydrochloride 500 MG Oral Tablet"),
        ("314076", "Lisinopril 10 MG Oral Tablet"), ("617312", "Atorvastatin 40 MG Oral Tablet"),
        ("855332", "Warfarin Sodium 5 MG Oral Tablet"), ("745679", "Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler")]
ALLERGENS = [("7980", "Penicillin G", "247472004", "Hives"), ("2670", "Codeine", "422587007", "Nausea"),
             ("1191", "Aspirin", "271807003", "Skin rash"), ("733", "Ampicillin", "39579001", "Anaphylaxis")]
VACCINES = [("140", "Influenza, seasonal, injectable, preservative free"), ("115", "Tdap"),
            ("33", "Pneumococcal polysaccharide PPV23"), ("208", "SARS-COV-2 (COVID-19) vaccine, mRNA, 30 mcg/0.3mL")]
ENCOUNTERS = [("99213", "Office outpatient visit 15 minutes", "AMB"), ("99223", "Initial hospital care", "IMP"),
              ("99284", "Emergency department visit", "EMER")]
PROCEDURES = [("73761001", "Colonoscopy"), ("80146002", "Appendectomy"), ("71651007", "Mammography"),
              ("232717009", "Coronary artery bypass grafting")]
GIVEN = ["John", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda", "David", "Elizabeth"]
FAMILY = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez"]
CITIES = [("Springfield", "IL", "62701"), ("Madison", "WI", "53703"), ("Portland", "OR", "97201"), ("Austin", "TX", "78701")]


def ts(rng, year0=2015, year1=2024, precision=12):
    y = rng.randint(year0, year1)
    m = rng.randint(1, 12)
    d = rng.randint(1, 28)
    h = rng.randint(0, 23)
    mi = rng.randint(0, 59)
    s = "%04d%02d%02d%02d%02d" % (y, m, d, h, mi)
    return s[:precision] + ("-0500" if precision > 8 else "")


def num(v):
    return ("%.1f" % v) if isinstance(v, float) else str(v)


class Doc:
    def __init__(self, rng, idx):
        self.rng = rng
        self.idx = idx
        self.out = []
        self.ref = 0

    def w(self, s):
        self.out.append(s)

    def next_ref(self, prefix):
        self.ref += 1
        return "%s%d" % (prefix, self.ref)

    def header(self):
        r = self.rng
        given, given2, family = r.choice(GIVEN), r.choice(GIVEN), r.choice(FAMILY)
        city, state, zipc = r.choice(CITIES)
        sex = r.choice(["M", "F"])
        self.w('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:sdtc="urn:hl7-org:sdtc" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
               '  <realmCode code="US"/>\n'
               '  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>\n'
               '  <templateId root="2.16.840.1.113883.10.20.22.1.1" extension="2015-08-01"/>\n'
               '  <templateId root="2.16.840.1.113883.10.20.22.1.2" extension="2015-08-01"/>\n'
               '  <id root="1.2.840.114350.1.13.1.1.7.8.688883.%d" extension="DOC%06d"/>\n'
               '  <code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summarization of Episode Note"/>\n'
               '  <title>Continuity of Care Document</title>\n'
               '  <effectiveTime value="%s"/>\n'
               '  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>\n'
               '  <languageCode code="en-US"/>\n' % (self.idx, self.idx, ts(r, 2024, 2024, 14)))
        self.w('  <recordTarget>\n    <patientRole>\n'
               '      <id root="1.2.840.114350.1.13.1.1.7.5.737384.14" extension="E%07d"/>\n'
               '      <id root="2.16.840.1.113883.4.1" extension="%03d-%02d-%04d"/>\n'
               '      <addr use="HP"><streetAddressLine>%d Main St</streetAddressLine><streetAddressLine>Apt %d</streetAddressLine>'
               '<city>%s</city><state>%s</state><postalCode>%s</postalCode><country>US</country></addr>\n'
               '      <telecom use="HP" value="tel:+1(555)555-%04d"/>\n'
               '      <telecom use="MC" value="tel:+1(555)555-%04d"/>\n'
               '      <telecom use="HP" value="mailto:patient%d@example.com"/>\n'
               '      <patient>\n'
               '        <name use="L"><prefix>Mr.</prefix><given>%s</given><given>%s</given><family>%s</family><suffix>Jr</suffix></name>\n'
               '        <name use="P"><given>%s</given><family>%s</family></name>\n'
               '        <administrativeGenderCode code="%s" codeSystem="2.16.840.1.113883.5.1"/>\n'
               '        <birthTime value="%s"/>\n'
               '        <sdtc:deceasedInd value="false"/>\n'
               '        <maritalStatusCode code="M" codeSystem="2.16.840.1.113883.5.2" displayName="Married"/>\n'
               '        <raceCode code="2106-3" codeSystem="2.16.840.1.113883.6.238" displayName="White"/>\n'
               '        <sdtc:raceCode code="2131-1" codeSystem="2.16.840.1.113883.6.238" displayName="Other Race"/>\n'
               '        <ethnicGroupCode code="2186-5" codeSystem="2.16.840.1.113883.6.238" displayName="Not Hispanic or Latino"/>\n'
               '        <sdtc:multipleBirthInd value="false"/>\n'
               '        <languageCommunication><languageCode code="en"/><preferenceInd value="true"/></languageCommunication>\n'
               '      </patient>\n'
               '      <providerOrganization><id root="2.16.840.1.113883.4.6" extension="1234567893"/><name>Good Health Clinic</name></providerOrganization>\n'
               '    </patientRole>\n  </recordTarget>\n'
               % (self.idx, r.randint(100, 899), r.randint(10, 99), r.randint(1000, 9999), r.randint(1, 9999),
                  r.randint(1, 99), city, state, zipc, r.randint(0, 9999), r.randint(0, 9999), self.idx,
                  given, given2, family, given, family, sex, ts(r, 1930, 2010, 8)))
        self.w('  <author>\n    <time value="%s"/>\n    <assignedAuthor>\n'
               '      <id root="2.16.840.1.113883.4.6" extension="1912345678"/>\n'
               '      <assignedPerson><name><given>Henry</given><family>Seven</family><suffix qualifier="AC">MD</suffix></name></assignedPerson>\n'
               '      <representedOrganization><id root="2.16.840.1.113883.19.5.%d"/><name>Good Health Clinic</name></representedOrganization>\n'
               '    </assignedAuthor>\n  </author>\n'
               '  <custodian><assignedCustodian><representedCustodianOrganization>\n'
               '    <id root="2.16.840.1.113883.19.5.%d"/><name>Good Health Clinic</name>\n'
               '  </representedCustodianOrganization></assignedCustodian></custodian>\n'
               % (ts(r, 2024, 2024, 14), self.idx % 7, self.idx % 7))
        self.w('  <component>\n    <structuredBody>\n')

    def section(self, template, loinc, title, rows, entries):
        self.w('      <component>\n        <section>\n'
               '          <templateId root="%s"/>\n          <templateId root="%s" extension="2015-08-01"/>\n'
               '          <code code="%s" codeSystem="2.16.840.1.113883.6.1"/>\n          <title>%s</title>\n'
               '          <text><table><thead><tr><th>Item</th><th>Value</th><th>Date</th></tr></thead><tbody>\n'
               % (template, template, loinc, title))
        for rid, a, b, c in rows:
            self.w('            <tr ID="%s"><td>%s</td><td>%s</td><td>%s</td></tr>\n' % (rid, a, b, c))
        self.w('          </tbody></table></text>\n')
        for e in entries:
            self.w(e)
        self.w('        </section>\n      </component>\n')

    def lab_obs(self, lab, when, rows):
        r = self.rng
        code, name, unit, lo, hi, vmin, vmax = lab
        val = round(r.uniform(vmin, vmax), 1)
        interp = "H" if val > hi else ("L" if val < lo else "N")
        rid = self.next_ref("result")
        rows.append((rid, name, "%s %s" % (num(val), unit), when[:8]))
        return ('                <component>\n                  <observation classCode="OBS" moodCode="EVN">\n'
                '                    <templateId root="2.16.840.1.113883.10.20.22.4.2" extension="2015-08-01"/>\n'
                '                    <id root="1.2.840.114350.1.13.1.1.7.2.798268" extension="%d"/>\n'
                '                    <code code="%s" codeSystem="2.16.840.1.113883.6.1" displayName="%s">'
                '<originalText><reference value="#%s"/></originalText></code>\n'
                '                    <statusCode code="completed"/>\n'
                '                    <effectiveTime value="%s"/>\n'
                '                    <value xsi:type="PQ" value="%s" unit="%s"/>\n'
                '                    <interpretationCode code="%s" codeSystem="2.16.840.1.113883.5.83"/>\n'
                '                    <referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="%s" unit="%s"/>'
                '<high value="%s" unit="%s"/></value></observationRange></referenceRange>\n'
                '                  </observation>\n                </component>\n'
                % (r.randint(1, 10**9), code, name, rid, when, num(val), unit, interp, num(lo), unit, num(hi), unit))

    def results(self, n):
        rows, entries = [], []
        i = 0
        while i < n:
            pcode, pname = self.rng.choice(PANELS)
            when = ts(self.rng)
            comps = []
            for _ in range(min(n - i, self.rng.randint(3, 8))):
                comps.append(self.lab_obs(self.rng.choice(LABS), when, rows))
                i += 1
            entries.append('          <entry typeCode="DRIV">\n            <organizer classCode="BATTERY" moodCode="EVN">\n'
                           '              <templateId root="2.16.840.1.113883.10.20.22.4.1" extension="2015-08-01"/>\n'
                           '              <id root="1.2.840.114350.1.13.1.1.7.2.798268" extension="P%d"/>\n'
                           '              <code code="%s" codeSystem="2.16.840.1.113883.6.1" displayName="%s"/>\n'
                           '              <statusCode code="completed"/>\n'
                           '              <effectiveTime><low value="%s"/><high value="%s"/></effectiveTime>\n'
                           '%s            </organizer>\n          </entry>\n'
                           % (self.rng.randint(1, 10**9), pcode, pname, when, when, "".join(comps)))
        self.section("2.16.840.1.113883.10.20.22.2.3.1", "30954-2", "Results", rows, entries)

    def vitals(self, n):
        rows, entries = [], []
        i = 0
        while i < n:
            when = ts(self.rng)
            comps = []
            for v in self.rng.sample(VITALS, min(n - i, len(VITALS))):
                code, name, unit, vmin, vmax = v
                val = round(self.rng.uniform(vmin, vmax), 1)
                rid = self.next_ref("vit")
                rows.append((rid, name, "%s %s" % (num(val), unit), when[:8]))
                comps.append('              <component><observation classCode="OBS" moodCode="EVN">\n'
                             '                <templateId root="2.16.840.1.113883.10.20.22.4.27" extension="2014-06-09"/>\n'
                             '                <id root="1.3.6.1.4.1.22812.3.99930.3.4.6" extension="%d"/>\n'
                             '                <code code="%s" codeSystem="2.16.840.1.113883.6.1" displayName="%s"/>\n'
                             '                <text><reference value="#%s"/></text>\n'
                             '                <statusCode code="completed"/>\n                <effectiveTime value="%s"/>\n'
                             '                <value xsi:type="PQ" value="%s" unit="%s"/>\n'
                             '              </observation></component>\n'
                             % (self.rng.randint(1, 10**9), code, name, rid, when, num(val), unit))
                i += 1
            entries.append('          <entry typeCode="DRIV">\n            <organizer classCode="CLUSTER" moodCode="EVN">\n'
                           '              <templateId root="2.16.840.1.113883.10.20.22.4.26" extension="2015-08-01"/>\n'
                           '              <code code="46680005" codeSystem="2.16.840.1.113883.6.96" displayName="Vital signs"/>\n'
                           '              <statusCode code="completed"/>\n              <effectiveTime value="%s"/>\n'
                           '%s            </organizer>\n          </entry>\n' % (when, "".join(comps)))
        self.section("2.16.840.1.113883.10.20.22.2.4.1", "8716-3", "Vital Signs", rows, entries)

    def problems(self, n):
        rows, entries = [], []
        for _ in range(n):
            sct, name, icd = self.rng.choice(PROBLEMS)
            onset = ts(self.rng, 2000, 2023, 8)
            rid = self.next_ref("problem")
            rows.append((rid, name, "Active", onset))
            entries.append('          <entry typeCode="DRIV">\n            <act classCode="ACT" moodCode="EVN">\n'
                           '              <templateId root="2.16.840.1.113883.10.20.22.4.3" extension="2015-08-01"/>\n'
                           '              <id root="ec8a6ff8-ed4b-4f7e-82c3-e98e58b45de7"/>\n'
                           '              <code code="CONC" codeSystem="2.16.840.1.113883.5.6"/>\n'
                           '              <statusCode code="active"/>\n              <effectiveTime><low value="%s"/></effectiveTime>\n'
                           '              <entryRelationship typeCode="SUBJ">\n                <observation classCode="OBS" moodCode="EVN">\n'
                           '                  <templateId root="2.16.840.1.113883.10.20.22.4.4" extension="2015-08-01"/>\n'
                           '                  <id root="ab1791b0-5c71-11db-b0de-0800200c9a66" extension="%d"/>\n'
                           '                  <code code="55607006" codeSystem="2.16.840.1.113883.6.96" displayName="Problem">'
                           '<translation code="75326-9" codeSystem="2.16.840.1.113883.6.1" displayName="Problem"/></code>\n'
                           '                  <text><reference value="#%s"/></text>\n'
                           '                  <statusCode code="completed"/>\n'
                           '                  <effectiveTime><low value="%s"/></effectiveTime>\n'
                           '                  <value xsi:type="CD" code="%s" codeSystem="2.16.840.1.113883.6.96" displayName="%s">'
                           '<originalText><reference value="#%s"/></originalText>'
                           '<translation code="%s" codeSystem="2.16.840.1.113883.6.90" displayName="%s"/></value>\n'
                           '                </observation>\n              </entryRelationship>\n'
                           '            </act>\n          </entry>\n'
                           % (onset, self.rng.randint(1, 10**9), rid, onset, sct, name, rid, icd, name))
        self.section("2.16.840.1.113883.10.20.22.2.5.1", "11450-4", "Problems", rows, entries)

    def medications(self, n):
        rows, entries = [], []
        for _ in range(n):
            rx, name = self.rng.choice(MEDS)
            start = ts(self.rng, 2015, 2023, 8)
            rid = self.next_ref("med")
            rows.append((rid, name, "1 tablet daily", start))
            entries.append('          <entry typeCode="DRIV">\n            <substanceAdministration classCode="SBADM" moodCode="INT">\n'
                           '              <templateId root="2.16.840.1.113883.10.20.22.4.16" extension="2014-06-09"/>\n'
                           '              <id root="cdbd33f0-6cde-11db-9fe1-0800200c9a66" extension="%d"/>\n'
                           '              <text><reference value="#%s"/></text>\n'
                           '              <statusCode code="active"/>\n'
                           '              <effectiveTime xsi:type="IVL_TS"><low value="%s"/></effectiveTime>\n'
                           '              <effectiveTime xsi:type="PIVL_TS" institutionSpecified="true" operator="A"><period value="24" unit="h"/></effectiveTime>\n'
                           '              <routeCode code="C38288" codeSystem="2.16.840.1.113883.3.26.1.1" displayName="ORAL"/>\n'
                           '              <doseQuantity value="1" unit="1"/>\n'
                           '              <consumable><manufacturedProduct classCode="MANU">\n'
                           '                <templateId root="2.16.840.1.113883.10.20.22.4.23" extension="2014-06-09"/>\n'
                           '                <manufacturedMaterial><code code="%s" codeSystem="2.16.840.1.113883.6.88" displayName="%s">'
                           '<originalText><reference value="#%s"/></originalText></code></manufacturedMaterial>\n'
                           '              </manufacturedProduct></consumable>\n'
                           '            </substanceAdministration>\n          </entry>\n'
                           % (self.rng.randint(1, 10**9), rid, start, rx, name, rid))
        self.section("2.16.840.1.113883.10.20.22.2.1.1", "10160-0", "Medications", rows, entries)

    def allergies(self, n):
        rows, entries = [], []
        for _ in range(n):
            rx, name, rcode, rname = self.rng.choice(ALLERGENS)
            onset = ts(self.rng, 1990, 2020, 8)
            rid = self.next_ref("allergy")
            rows.append((rid, name, rname, onset))
            entries.append('          <entry typeCode="DRIV">\n            <act classCode="ACT" moodCode="EVN">\n'
                           '              <templateId root="2.16.840.1.113883.10.20.22.4.30" extension="2015-08-01"/>\n'
                           '              <id root="36e3e930-7b14-11db-9fe1-0800200c9a66"/>\n'
                           '              <code code="CONC" codeSystem="2.16.840.1.113883.5.6"/>\n'
                           '              <statusCode code="active"/>\n              <effectiveTime><low value="%s"/></effectiveTime>\n'
                           '              <entryRelationship typeCode="SUBJ">\n                <observation classCode="OBS" moodCode="EVN">\n'
                           '                  <templateId root="2.16.840.1.113883.10.20.22.4.7" extension="2014-06-09"/>\n'
                           '                  <id root="4adc1020-7b14-11db-9fe1-0800200c9a66" extension="%d"/>\n'
                           '                  <code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/>\n'
                           '                  <statusCode code="completed"/>\n'
                           '                  <effectiveTime><low value="%s"/></effectiveTime>\n'
                           '                  <value xsi:type="CD" code="419511003" codeSystem="2.16.840.1.113883.6.96" displayName="Propensity to adverse reactions to drug"/>\n'
                           '                  <participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT">'
                           '<code code="%s" codeSystem="2.16.840.1.113883.6.88" displayName="%s"><originalText><reference value="#%s"/></originalText></code>'
                           '</playingEntity></participantRole></participant>\n'
                           '                  <entryRelationship typeCode="MFST" inversionInd="true"><observation classCode="OBS" moodCode="EVN">'
                           '<templateId root="2.16.840.1.113883.10.20.22.4.9" extension="2014-06-09"/>'
                           '<code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/>'
                           '<value xsi:type="CD" code="%s" codeSystem="2.16.840.1.113883.6.96" displayName="%s"/>'
                           '</observation></entryRelationship>\n'
                           '                </observation>\n              </entryRelationship>\n'
                           '            </act>\n          </entry>\n'
                           % (onset, self.rng.randint(1, 10**9), onset, rx, name, rid, rcode, rname))
        self.section("2.16.840.1.113883.10.20.22.2.6.1", "48765-2", "Allergies", rows, entries)

    def immunizations(self, n):
        rows, entries = [], []
        for _ in range(n):
            cvx, name = self.rng.choice(VACCINES)
            when = ts(self.rng, 2010, 2024, 8)
            rid = self.next_ref("imm")
            rows.append((rid, name, "Completed", when))
            entries.append('          <entry typeCode="DRIV">\n            <substanceAdministration classCode="SBADM" moodCode="EVN" negationInd="false">\n'
                           '              <templateId root="2.16.840.1.113883.10.20.22.4.52" extension="2015-08-01"/>\n'
                           '              <id root="e6f1ba43-c0ed-4b9b-9f12-f435d8ad8f92" extension="%d"/>\n'
                           '              <text><reference value="#%s"/></text>\n'
                           '              <statusCode code="completed"/>\n              <effectiveTime value="%s"/>\n'
                           '              <routeCode code="C28161" codeSystem="2.16.840.1.113883.3.26.1.1" displayName="INTRAMUSCULAR"/>\n'
                           '              <doseQuantity value="0.5" unit="mL"/>\n'
                           '              <consumable><manufacturedProduct classCode="MANU">\n'
                           '                <templateId root="2.16.840.1.113883.10.20.22.4.54" extension="2014-06-09"/>\n'
                           '                <manufacturedMaterial><code code="%s" codeSystem="2.16.840.1.113883.12.292" displayName="%s"/>'
                           '<lotNumberText>LOT%d</lotNumberText></manufacturedMaterial>\n'
                           '                <manufacturerOrganization><name>Sanofi Pasteur</name></manufacturerOrganization>\n'
                           '              </manufacturedProduct></consumable>\n'
                           '            </substanceAdministration>\n          </entry>\n'
                           % (self.rng.randint(1, 10**9), rid, when, cvx, name, self.rng.randint(1000, 9999)))
        self.section("2.16.840.1.113883.10.20.22.2.2.1", "11369-6", "Immunizations", rows, entries)

    def encounters(self, n):
        rows, entries = [], []
        for _ in range(n):
            cpt, name, cls = self.rng.choice(ENCOUNTERS)
            start = ts(self.rng)
            rid = self.next_ref("enc")
            rows.append((rid, name, cls, start[:8]))
            entries.append('          <entry typeCode="DRIV">\n            <encounter classCode="ENC" moodCode="EVN">\n'
                           '              <templateId root="2.16.840.1.113883.10.20.22.4.49" extension="2015-08-01"/>\n'
                           '              <id root="2a620155-9d11-439e-92b3-5d9815ff4de8" extension="V%d"/>\n'
                           '              <code code="%s" codeSystem="2.16.840.1.113883.6.12" displayName="%s">'
                           '<originalText><reference value="#%s"/></originalText>'
                           '<translation code="%s" codeSystem="2.16.840.1.113883.5.4"/></code>\n'
                           '              <effectiveTime><low value="%s"/><high value="%s"/></effectiveTime>\n'
                           '              <participant typeCode="LOC"><participantRole classCode="SDLOC">'
                           '<code code="1160-1" codeSystem="2.16.840.1.113883.6.259" displayName="Urgent Care Center"/>'
                           '<playingEntity classCode="PLC"><name>Good Health Urgent Care</name></playingEntity></participantRole></participant>\n'
                           '            </encounter>\n          </entry>\n'
                           % (self.rng.randint(1, 10**9), cpt, name, rid, cls, start, start))
        self.section("2.16.840.1.113883.10.20.22.2.22.1", "46240-8", "Encounters", rows, entries)

    def procedures(self, n):
        rows, entries = [], []
        for _ in range(n):
            sct, name = self.rng.choice(PROCEDURES)
            when = ts(self.rng, 2005, 2024, 8)
            rid = self.next_ref("proc")
            rows.append((rid, name, "Completed", when))
            entries.append('          <entry typeCode="DRIV">\n            <procedure classCode="PROC" moodCode="EVN">\n'
                           '              <templateId root="2.16.840.1.113883.10.20.22.4.14" extension="2014-06-09"/>\n'
                           '              <id root="d68b7e32-7810-4f5b-9cc2-acd54b0fd85d" extension="%d"/>\n'
                           '              <code code="%s" codeSystem="2.16.840.1.113883.6.96" displayName="%s">'
                           '<originalText><reference value="#%s"/></originalText></code>\n'
                           '              <statusCode code="completed"/>\n              <effectiveTime value="%s"/>\n'
                           '              <targetSiteCode code="71854001" codeSystem="2.16.840.1.113883.6.96" displayName="Colon structure"/>\n'
                           '            </procedure>\n          </entry>\n'
                           % (self.rng.randint(1, 10**9), sct, name, rid, when))
        self.section("2.16.840.1.113883.10.20.22.2.7.1", "47519-4", "Procedures", rows, entries)

    def social(self):
        rid = self.next_ref("social")
        self.section("2.16.840.1.113883.10.20.22.2.17", "29762-2", "Social History",
                     [(rid, "Tobacco smoking status", "Never smoker", "2023")],
                     ['          <entry typeCode="DRIV">\n            <observation classCode="OBS" moodCode="EVN">\n'
                      '              <templateId root="2.16.840.1.113883.10.20.22.4.78" extension="2014-06-09"/>\n'
                      '              <id extension="SS1" root="1.2.840.114350.1.13.1.1.7.1.1"/>\n'
                      '              <code code="72166-2" codeSystem="2.16.840.1.113883.6.1" displayName="Tobacco smoking status"/>\n'
                      '              <statusCode code="completed"/>\n              <effectiveTime value="20230105"/>\n'
                      '              <value xsi:type="CD" code="266919005" codeSystem="2.16.840.1.113883.6.96" displayName="Never smoker"/>\n'
                      '            </observation>\n          </entry>\n'])

    def build(self, scale):
        r = self.rng
        self.header()
        self.results(max(5, int(scale * 60)))
        self.vitals(max(7, int(scale * 28)))
        self.problems(max(2, int(scale * 10)))
        self.medications(max(2, int(scale * 10)))
        self.allergies(max(1, int(scale * 4)))
        self.immunizations(max(1, int(scale * 6)))
        self.encounters(max(1, int(scale * 8)))
        self.procedures(max(1, int(scale * 4)))
        self.social()
        self.w('    </structuredBody>\n  </component>\n</ClinicalDocument>\n')
        return "".join(self.out).encode("utf-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("count", type=int)
    ap.add_argument("seed", type=int)
    ap.add_argument("out")
    ap.add_argument("--min-kb", type=int, default=50)
    ap.add_argument("--max-kb", type=int, default=500)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    # bytes per unit of scale, measured once on a probe document
    probe = len(Doc(random.Random(0), 0).build(1.0))
    total = 0
    for i in range(args.count):
        target = rng.uniform(args.min_kb, args.max_kb) * 1000
        scale = max(0.1, target / probe)
        data = Doc(random.Random(rng.random()), i).build(scale)
        with open(os.path.join(args.out, "ccd_%05d.xml" % i), "wb") as f:
            f.write(data)
        total += len(data)
    print("wrote %d documents, %d bytes, to %s" % (args.count, total, args.out))


if __name__ == "__main__":
    main()
