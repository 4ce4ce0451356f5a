#!/usr/bin/env bash
# Benchmark: presence over XMPP (issue 22) against mimql and ejabberd on the same machine with
# the same roster (bench/README.md, "Presence over XMPP"): login with a 1,000-contact roster,
# 500 online, to roster + presences, plain and with roster versioning; presence fan-out to
# 1,000 online subscribers. Knobs: CONTACTS (1,000), ONLINE (500), LOGINS (30), FANOUT_ROUNDS
# (30), and bench/xmpp.sh's PROFILE, PREBUILT, EJABBERD=0.
exec env MODE=presence "$(dirname "$0")/xmpp.sh"
