#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every evidence item of ../shared/vectors/manifest.json through the CLI contract:
`assay verify --tee T --evidence F --endorsements <its other files>... --at <verify_at>` must
give the manifest's verdict (issues: SGX/TDX, SNP/Azure/TPM, CCA/CSV). Skips, saying so, when
the shared folder is absent."""
import argparse
import json
import os
import subprocess
import sys

# manifest `tee` -> (CLI --tee, Cocos policy applies)
TEES = {
    "snp": ("snp", False), "tdx": ("tdx", False), "sgx": ("sgx", False),
    "csv": ("csv", False), "cca": ("cca", False), "tpm": ("tpm", False),
    "azsnpvtpm": ("az-snp-vtpm", False), "aztdxvtpm": ("az-tdx-vtpm", False),
    "cocos-snp": ("snp", True), "cocos-tdx": ("tdx", True),
}
# The file of an item that is the evidence, by manifest key, in order of preference.
EVIDENCE_KEYS = ("evidence", "report", "quote", "token", "attestation", "realm_claims")
# Files that are not endorsements: expected outputs, notes, private keys, other encodings.
NOT_ENDORSEMENTS = {"expected_claims", "expected_json", "diag", "rak_private_jwk",
                    "cpak_public_jwk", "report_hex", "policy", "pcr_values"}
# Items whose manifest pairing cannot give the stated verdict, with the reason (each is also
# pinned by a unit test that shows the stated facts with the right files).
DEVIATIONS = {
    "CCA2": ("reject", "ta.json holds one P-256 CPAK for another instance id and the platform "
                       "token is ES384: it cannot verify this token (test_tee_cca_vectors.c "
                       "shows the accept with ta-tfa.json)"),
}
# Items that are not evidence for a TEE: event logs alone (their parser and replay are tested by
# unit.tee.tee_ccel against the golden JSON, and through tdx by T4.ccel-mismatch here).
NOT_EVIDENCE = {"eventlog"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--assay", required=True)
    a = ap.parse_args()
    shared = os.environ.get("ASSAY_SHARED", "../shared")
    vec = os.path.join(shared, "vectors")
    man = os.path.join(vec, "manifest.json")
    if not os.path.isfile(man):
        print("SKIP: %s absent: vector CLI checks not run" % man)
        return 0
    items = json.load(open(man))
    failed = 0
    ran = 0
    for it in items:
        iid, tee = it["id"], it["tee"]
        if tee in NOT_EVIDENCE:
            print("skip  %-22s %s: not TEE evidence (event log; see unit.tee.tee_ccel)" % (iid, tee))
            continue
        if tee not in TEES:
            print("FAIL  %-22s unknown manifest tee %s" % (iid, tee))
            failed += 1
            continue
        cli_tee, cocos = TEES[tee]
        files = it.get("files", {})
        ev_key = next((k for k in EVIDENCE_KEYS if k in files), None)
        if ev_key is None:
            print("FAIL  %-22s no evidence file among %s" % (iid, sorted(files)))
            failed += 1
            continue
        args = [a.assay, "verify", "--tee", cli_tee, "--evidence", os.path.join(vec, files[ev_key]),
                "--at", it["verify_at"]]
        for k, f in files.items():
            if k != ev_key and k not in NOT_ENDORSEMENTS:
                args += ["--endorsements", os.path.join(vec, f)]
        nonce = it.get("inputs", {}).get("expected_nonce_hex")
        if nonce:
            args += ["--runtime-data-hex", nonce]
        if cocos:
            args += ["--cocos-policy", os.path.join(vec, files["policy"])]
        want, why = it["expect"], None
        if iid in DEVIATIONS:
            want, why = DEVIATIONS[iid]
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
        ran += 1
        try:
            out = json.loads(p.stdout)
        except ValueError:
            out = {}
        got = out.get("verdict")
        rc_ok = (p.returncode == 0) == (got == "accept") and p.returncode in (0, 1)
        err = out.get("error") or {}
        msg = err.get("message", "") if isinstance(err, dict) else str(err)
        if got == want and rc_ok:
            note = " (manifest says %s: %s)" % (it["expect"], why) if why else ""
            print("ok    %-22s %-11s %s%s%s" % (iid, cli_tee, got,
                                               (": " + msg[:100]) if msg else "", note))
        else:
            failed += 1
            print("FAIL  %-22s %-11s want %s, got %s (exit %d): %s %s" %
                  (iid, cli_tee, want, got, p.returncode, msg[:200], p.stderr.strip()[:300]))
    print("%d items through the CLI, %d failed" % (ran, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
