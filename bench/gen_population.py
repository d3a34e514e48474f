#!/usr/bin/env python3
"""Generate a multi-clinic patient population with hard negatives, and its truth.

Usage: gen_population.py OUT_DIR [--persons N] [--seed S] [--same-clinic-duplicates 0.03]

Writes OUT_DIR/population.csv (one line per source record, in arrival order) and
OUT_DIR/population_truth.csv (rec_id_a, rec_id_b: every pair of records of one person, smaller id first).

People live in households. The population is built to contain the cases a master patient index gets
wrong: twins (same birth date, family, address and phone; multiple-birth flag only sometimes sent),
fathers and sons with the same name at one address (Jr/Sr suffix only sometimes sent), spouses at one
address, very common names (JOHN SMITH, MARIA GARCIA ...) with different people sharing birth years and
sometimes birth dates, women whose family name changed at marriage (the maiden name only sometimes
sent), people who moved between visits, and newborns registered as "Baby Boy"/"Baby Girl".

Each person is registered at 1-4 of six clinics, each with its own MRN authority and its own habits
(upper case, nicknames, spelled-out or abbreviated street types, phone formats); 3% are registered twice
at one clinic (two MRNs from one authority: the duplicates a steward must merge). Each record then gets
realistic clerical errors: typos, nicknames, day/month swaps, one-digit birth date errors, missing
fields, placeholder SSNs and birth dates, swapped given/family names, hyphenated names shortened.
"""
import argparse
import csv
import os
import random

CLINICS = [
    ("MERCY GENERAL", "MGH", "upper"), ("NORTHSIDE FAMILY PRACTICE", "NFP", "title"),
    ("ST LUKE LAB SERVICES", "SLL", "upper"), ("RIVERVIEW PEDIATRICS", "RVP", "title"),
    ("LAKESHORE CARDIOLOGY", "LKC", "title"), ("VALLEY URGENT CARE", "VUC", "upper"),
]
COMMON_FAMILY = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
                 "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR", "MOORE",
                 "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ", "CLARK", "RAMIREZ",
                 "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT", "SCOTT", "TORRES", "NGUYEN",
                 "HILL", "FLORES", "GREEN", "ADAMS", "NELSON", "BAKER", "HALL", "RIVERA", "CAMPBELL", "MITCHELL",
                 "CARTER", "ROBERTS", "OBRIEN", "MCDONALD", "KOWALSKI", "SCHMIDT", "MUELLER", "OCONNOR"]
SYLL = ["ber", "wick", "man", "son", "ski", "ton", "ley", "ford", "ham", "stein", "ow", "ez", "ard", "ing",
        "dal", "mor", "rit", "zyn", "kov", "lund", "gard", "ver", "hol", "pel", "cia", "nes", "tra", "quist"]
MALE = ["JAMES", "JOHN", "ROBERT", "MICHAEL", "WILLIAM", "DAVID", "RICHARD", "JOSEPH", "THOMAS", "CHARLES",
        "CHRISTOPHER", "DANIEL", "MATTHEW", "ANTHONY", "DONALD", "MARK", "PAUL", "STEVEN", "ANDREW", "KENNETH",
        "JOSHUA", "KEVIN", "BRIAN", "GEORGE", "EDWARD", "RONALD", "TIMOTHY", "JASON", "JEFFREY", "RYAN", "JACOB",
        "GARY", "NICHOLAS", "ERIC", "JONATHAN", "STEPHEN", "LARRY", "JUSTIN", "SCOTT", "BRANDON", "BENJAMIN",
        "SAMUEL", "FRANK", "GREGORY", "RAYMOND", "ALEXANDER", "PATRICK", "JACK", "DENNIS", "JERRY", "TYLER",
        "AARON", "JOSE", "HENRY", "ADAM", "DOUGLAS", "NATHAN", "PETER", "ZACHARY", "KYLE", "LUIS", "CARLOS",
        "JUAN", "WALTER", "HAROLD", "ARTHUR", "LAWRENCE", "THEODORE", "FREDERICK", "VINCENT", "MIGUEL", "DMITRI"]
FEMALE = ["MARY", "PATRICIA", "JENNIFER", "LINDA", "ELIZABETH", "BARBARA", "SUSAN", "JESSICA", "SARAH", "KAREN",
          "NANCY", "LISA", "MARGARET", "BETTY", "SANDRA", "ASHLEY", "DOROTHY", "KIMBERLY", "EMILY", "DONNA",
          "MICHELLE", "CAROL", "AMANDA", "MELISSA", "DEBORAH", "STEPHANIE", "REBECCA", "LAURA", "SHARON",
          "CYNTHIA", "KATHLEEN", "AMY", "SHIRLEY", "ANGELA", "HELEN", "ANNA", "BRENDA", "PAMELA", "NICOLE",
          "SAMANTHA", "KATHERINE", "CHRISTINE", "DEBRA", "RACHEL", "CATHERINE", "CAROLYN", "JANET", "MARIA",
          "HEATHER", "DIANE", "VIRGINIA", "JULIE", "JOYCE", "VICTORIA", "KELLY", "CHRISTINA", "JOAN", "EVELYN",
          "JUDITH", "ANDREA", "HANNAH", "MEGAN", "CHERYL", "JACQUELINE", "MARTHA", "GLORIA", "TERESA", "SOPHIA",
          "ISABEL", "FRANCES", "ALEXANDRA", "PRIYA", "MEI", "FATIMA"]
NICK = {"WILLIAM": ["BILL", "BILLY", "WILL"], "ROBERT": ["BOB", "BOBBY", "ROB"], "RICHARD": ["RICK", "DICK", "RICH"],
        "JAMES": ["JIM", "JIMMY"], "JOHN": ["JACK", "JOHNNY"], "MICHAEL": ["MIKE"], "JOSEPH": ["JOE"],
        "THOMAS": ["TOM", "TOMMY"], "CHARLES": ["CHUCK", "CHARLIE"], "CHRISTOPHER": ["CHRIS"], "DANIEL": ["DAN", "DANNY"],
        "MATTHEW": ["MATT"], "ANTHONY": ["TONY"], "DONALD": ["DON"], "STEVEN": ["STEVE"], "ANDREW": ["ANDY", "DREW"],
        "KENNETH": ["KEN"], "EDWARD": ["ED", "TED", "EDDIE"], "TIMOTHY": ["TIM"], "JEFFREY": ["JEFF"], "JACOB": ["JAKE"],
        "NICHOLAS": ["NICK"], "BENJAMIN": ["BEN"], "SAMUEL": ["SAM"], "GREGORY": ["GREG"], "PATRICK": ["PAT"],
        "HENRY": ["HANK"], "THEODORE": ["TED", "TEDDY"], "LAWRENCE": ["LARRY"], "ALEXANDER": ["ALEX"],
        "ELIZABETH": ["LIZ", "BETH", "BETSY"], "MARGARET": ["PEGGY", "MAGGIE", "PEG"], "SUSAN": ["SUE", "SUSIE"],
        "PATRICIA": ["PATTY", "TRISH"], "JENNIFER": ["JEN", "JENNY"], "REBECCA": ["BECKY"], "KATHERINE": ["KATE", "KATHY"],
        "CATHERINE": ["CATHY", "KATE"], "DEBORAH": ["DEB", "DEBBIE"], "SARAH": ["SALLY"], "MARY": ["POLLY", "MOLLY"],
        "SAMANTHA": ["SAM"], "VICTORIA": ["VICKY", "TORI"], "CHRISTINE": ["CHRIS", "TINA"], "DOROTHY": ["DOT", "DOTTIE"],
        "ALEXANDRA": ["ALEX", "SANDY"], "PAMELA": ["PAM"], "JACQUELINE": ["JACKIE"], "FREDERICK": ["FRED"]}
STREETS = ["MAIN", "OAK", "MAPLE", "CEDAR", "PINE", "ELM", "WASHINGTON", "LAKE", "HILL", "PARK", "SUNSET",
           "LINCOLN", "JACKSON", "RIVER", "CHURCH", "HIGHLAND", "MILL", "FOREST", "MEADOW", "WILLOW", "CHESTNUT",
           "SPRING", "FRANKLIN", "GROVE", "MADISON", "HARBOR", "VALLEY", "RIDGE", "BIRCH", "WALNUT"]
TYPES = [("STREET", "ST"), ("AVENUE", "AVE"), ("ROAD", "RD"), ("DRIVE", "DR"), ("LANE", "LN"), ("COURT", "CT"),
         ("BOULEVARD", "BLVD"), ("PLACE", "PL"), ("TERRACE", "TER")]
DIRS = [("NORTH", "N"), ("SOUTH", "S"), ("EAST", "E"), ("WEST", "W")]
CITIES = [("SPRINGFIELD", "IL", "627"), ("RIVERTON", "MA", "021"), ("FAIRVIEW", "OH", "441"), ("GREENVILLE", "NC", "278"),
          ("FRANKLIN", "TN", "370"), ("CLINTON", "IA", "527"), ("MADISON", "WI", "537"), ("SALEM", "OR", "973")]

FAMILY_WEIGHTS = [1 / (rank + 1) ** 0.8 for rank in range(len(COMMON_FAMILY))]
MALE_WEIGHTS = [1 / (rank + 1) ** 0.7 for rank in range(len(MALE))]
FEMALE_WEIGHTS = [1 / (rank + 1) ** 0.7 for rank in range(len(FEMALE))]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.used_ssn = set()
        self.rare = set()

    def surname(self):
        r = self.r
        if r.random() < 0.35:  # a third of people carry one of the common names, Zipf-like (SMITH ~4%)
            return r.choices(COMMON_FAMILY, weights=FAMILY_WEIGHTS)[0]
        while True:
            name = "".join(r.choice(SYLL) for _ in range(r.choice((2, 2, 3)))).upper()
            if name not in self.rare:
                self.rare.add(name)
                return name

    def given(self, sex):
        pool, weights = (MALE, MALE_WEIGHTS) if sex == "M" else (FEMALE, FEMALE_WEIGHTS)
        return self.r.choices(pool, weights=weights)[0]

    def dob(self, lo, hi):
        r = self.r
        return (r.randint(lo, hi), r.randint(1, 12), r.randint(1, 28))

    def ssn(self):
        while True:
            s = "%03d%02d%04d" % (self.r.randint(1, 899), self.r.randint(1, 99), self.r.randint(1, 9999))
            if s[:3] not in ("000", "666") and s not in self.used_ssn:
                self.used_ssn.add(s)
                return s

    def phone(self):
        return "%d%02d%d%04d" % (self.r.randint(2, 9), self.r.randint(0, 99), self.r.randint(200, 999), self.r.randint(0, 9999))

    def address(self):
        r = self.r
        city = r.choice(CITIES)
        return dict(number=str(r.randint(1, 9999)), dir=r.choice(DIRS) if r.random() < 0.2 else None,
                    street=r.choice(STREETS), type=r.choice(TYPES),
                    unit=str(r.randint(1, 40)) + r.choice("AB ") .strip() if r.random() < 0.25 else None,
                    city=city[0], state=city[1], zip=city[2] + "%02d" % r.randint(0, 99))


def person(g, pid, sex, family, given, birth, household):
    return dict(pid=pid, sex=sex, family=family, given=given,
                middle=g.given(sex) if g.r.random() < 0.6 else "", birth=birth, suffix="", maiden="",
                ssn=g.ssn() if g.r.random() < 0.85 else "", phone=household["phone"],
                email="", address=household["address"], multiple=False, order="", newborn=False, moved=None)


def build_people(g, n):
    people = []
    r = g.r
    while len(people) < n:
        hh = dict(phone=g.phone(), address=g.address())
        family = g.surname()
        kind = r.random()
        pid = lambda: "P%06d" % len(people)
        if kind < 0.35:  # single adult
            sex = r.choice("MF")
            people.append(person(g, pid(), sex, family, g.given(sex), g.dob(1935, 2004), hh))
            continue
        # couple
        h = person(g, pid(), "M", family, g.given("M"), g.dob(1940, 1995), hh)
        people.append(h)
        w_birth = (h["birth"][0] + r.randint(-6, 6), r.randint(1, 12), r.randint(1, 28))
        w = person(g, pid(), "F", family, g.given("F"), w_birth, hh)
        if r.random() < 0.6:
            w["maiden"] = g.surname()  # married name change: older records carry the maiden name
        people.append(w)
        base = max(h["birth"][0], w_birth[0]) + 22
        if base > 2023:
            continue
        if kind < 0.55:  # Jr: son named after the father, same address
            s = person(g, pid(), "M", family, h["given"], g.dob(base, min(2023, base + 12)), hh)
            s["middle"] = h["middle"] if r.random() < 0.5 else s["middle"]
            s["suffix"], h["suffix"] = "JR", "SR"
            people.append(s)
        if kind >= 0.55 and kind < 0.72:  # twins
            birth = g.dob(base, min(2023, base + 12))
            for order in (1, 2):
                sex = r.choice("MF")
                t = person(g, pid(), sex, family, g.given(sex), birth, hh)
                while t["given"] == people[-1]["given"] and order == 2:
                    t["given"] = g.given(sex)
                t["multiple"], t["order"] = True, str(order)
                t["newborn"] = birth[0] >= 2021
                people.append(t)
        elif kind >= 0.72:  # other children
            for _ in range(r.randint(1, 3)):
                sex = r.choice("MF")
                people.append(person(g, pid(), sex, family, g.given(sex), g.dob(base, min(2023, base + 15)), hh))
    for p in people:
        if r.random() < 0.4:
            p["email"] = "%s.%s%d@%s" % (p["given"].lower(), p["family"].lower(), r.randint(1, 99), r.choice(["gmail.com", "yahoo.com", "outlook.com", "aol.com"]))
        if r.random() < 0.3:
            p["moved"] = dict(phone=g.phone() if r.random() < 0.6 else p["phone"], address=g.address())
        if r.random() < 0.05 and p["family"] != "":  # hyphenated family name
            p["family"] = p["family"] + "-" + g.surname()
    return people


def typo(r, s):
    if len(s) < 3:
        return s
    i = r.randint(1, len(s) - 1)
    op = r.random()
    if op < 0.35:
        return s[:i] + r.choice("ABCDEFGHIJKLMNOPRSTUVWY") + s[i + 1:]
    if op < 0.6:
        return s[:i] + s[i + 1:]
    if op < 0.85 and i < len(s) - 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + s[i] + s[i:]


def record(g, p, clinic, visit, mrn):
    r = g.r
    name, authority, style = clinic
    family, given, middle = p["family"], p["given"], p["middle"]
    if p["maiden"] and visit == 0 and r.random() < 0.5:
        family = p["maiden"]  # registered before marriage
    maiden = p["maiden"] if family != p["maiden"] and r.random() < 0.4 else ""
    if "-" in family and r.random() < 0.4:
        family = family.split("-")[r.randint(0, 1)]
    if given in NICK and r.random() < 0.12:
        given = r.choice(NICK[given])
    if r.random() < 0.07:
        family = typo(r, family)
    if r.random() < 0.06:
        given = typo(r, given)
    if r.random() < 0.3:
        middle = middle[:1]
    if r.random() < 0.2:
        middle = ""
    y, m, d = p["birth"]
    x = r.random()
    if x < 0.02 and d <= 12 and d != m:
        m, d = d, m
    elif x < 0.05:
        s = list("%04d%02d%02d" % (y, m, d))
        i = r.choice([2, 3, 6, 7])
        s[i] = str(r.randint(0, 9))
        y, m, d = int("".join(s[:4])), int("".join(s[4:6])), int("".join(s[6:8]))
        if not (1 <= m <= 12 and 1 <= d <= 28):
            y, m, d = p["birth"]
    dob = "%04d-%02d-%02d" % (y, m, d)
    if x > 0.985:
        dob = ""
    elif x > 0.978:
        dob = "1900-01-01"
    if p["newborn"] and r.random() < 0.5:
        given, middle = ("BABY BOY" if p["sex"] == "M" else "BABY GIRL"), ""
    if r.random() < 0.01:
        given, family = family, given
    ssn = p["ssn"] if r.random() < 0.65 else ""
    if ssn and r.random() < 0.02:
        ssn = typo(r, ssn) if r.random() < 0.5 else ssn[:4] + ssn[5] + ssn[4] + ssn[6:]
        ssn = ssn if len(ssn) == 9 else p["ssn"]
    if not ssn and r.random() < 0.05:
        ssn = r.choice(["999999999", "123456789", "000000000"])
    home = p["moved"] if p["moved"] and visit > 0 else dict(phone=p["phone"], address=p["address"])
    phone = home["phone"] if r.random() < 0.85 else ""
    if phone:
        fmt = r.random()
        phone = ("(%s) %s-%s" if fmt < 0.4 else "%s-%s-%s" if fmt < 0.8 else "+1 %s %s %s") % (phone[:3], phone[3:6], phone[6:])
    a = home["address"]
    t = a["type"][0] if r.random() < 0.4 else a["type"][1]
    dd = (a["dir"][0] if r.random() < 0.4 else a["dir"][1]) + " " if a["dir"] else ""
    street = "%s %s%s %s" % (a["number"], dd, a["street"], t)
    unit = ""
    if a["unit"]:
        unit = r.choice(["APT %s", "#%s", "UNIT %s", "Apt. %s"]) % a["unit"]
    if r.random() < 0.03:
        street, unit = "", ""
    sex = p["sex"] if r.random() < 0.98 else ""
    suffix = p["suffix"] if p["suffix"] and r.random() < 0.55 else ""
    email = p["email"] if p["email"] and r.random() < 0.6 else ""
    multiple = "Y" if p["multiple"] and r.random() < 0.5 else ""
    order = p["order"] if multiple and r.random() < 0.5 else ""

    def case(s):
        return s.title() if style == "title" else s

    return dict(source=name, mrn_authority=authority, mrn=mrn, given=case(given), middle=case(middle),
                family=case(family), maiden=case(maiden), suffix=case(suffix), sex=sex, dob=dob, ssn=ssn,
                phone=phone, email=email, street=case(street), unit=unit, city=case(a["city"]), state=a["state"],
                zip=a["zip"], multiple_birth=multiple, birth_order=order, person_id=p["pid"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--persons", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--same-clinic-duplicates", type=float, default=0.03,
                    help="share of people registered twice at one clinic (reviewed, never auto-linked)")
    args = ap.parse_args()
    g = Gen(args.seed)
    people = build_people(g, args.persons)
    rows = []
    mrn_next = {c[1]: 100000 for c in CLINICS}
    for p in people:
        k = min(len(CLINICS), 1 + int(g.r.expovariate(1.1)))
        clinics = g.r.sample(CLINICS, k)
        if g.r.random() < args.same_clinic_duplicates:  # registered twice at one clinic: two MRNs, one authority
            clinics.append(clinics[0])
        for visit, clinic in enumerate(clinics):
            mrn_next[clinic[1]] += g.r.randint(1, 7)
            rows.append(record(g, p, clinic, visit, "%s%d" % (clinic[1][0], mrn_next[clinic[1]])))
    g.r.shuffle(rows)
    os.makedirs(args.out, exist_ok=True)
    fields = ["rec_id", "source", "mrn_authority", "mrn", "given", "middle", "family", "maiden", "suffix", "sex", "dob",
              "ssn", "phone", "email", "street", "unit", "city", "state", "zip", "multiple_birth", "birth_order", "person_id"]
    by_person = {}
    with open(os.path.join(args.out, "population.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for i, row in enumerate(rows):
            row["rec_id"] = "r%06d" % i
            by_person.setdefault(row["person_id"], []).append(row["rec_id"])
            w.writerow(row)
    pairs = sorted((a, b) if a < b else (b, a) for ids in by_person.values()
                   for i, a in enumerate(ids) for b in ids[i + 1:])
    with open(os.path.join(args.out, "population_truth.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rec_id_a", "rec_id_b"])
        w.writerows(pairs)
    print("population: %d persons, %d records, %d true pairs" % (len(people), len(rows), len(pairs)))


if __name__ == "__main__":
    main()
