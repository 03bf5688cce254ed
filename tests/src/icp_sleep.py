#!/usr/bin/env python3
"""Stands in for `sleep N` in the scripts tests/tests/icp_walkthrough.rs runs: N seconds of IC time
pass at once on the local network's instance, a second at a time (`set_time`, then a round),
through the PocketIC REST API of the network launcher (the `pocketic-config-port` and
`pocketic-instance-id` of the network descriptor that ICP_NETWORK_DESCRIPTOR names), instead of N
seconds of real time. Agents stamp each request with an expiry three minutes (rounded down to the
minute, so at least two minutes) from their own clock, and the IC refuses a request that expires before its time: the
instance's clock is kept at most LEAD_SECONDS ahead of the wall clock, and beyond that this waits
for real."""
import json
import os
import sys
import time
import urllib.request

LEAD_SECONDS = 110


def instance_url():
    with open(os.environ["ICP_NETWORK_DESCRIPTOR"]) as file:
        descriptor = json.load(file)
    port, instance = descriptor.get("pocketic-config-port"), descriptor.get("pocketic-instance-id")
    if port is None or instance is None:
        sys.exit("sleep: the network descriptor names no PocketIC instance: %s" % descriptor)
    return "http://127.0.0.1:%d/instances/%d" % (port, instance)


def request(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=60) as reply:
        return reply.read()


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("sleep: whole seconds only (sleep N)")
    url = instance_url()
    start = json.loads(request(url + "/read/get_time"))["nanos_since_epoch"]
    for second in range(1, int(sys.argv[1]) + 1):
        target = start + second * 1_000_000_000
        lead = (target - time.time_ns()) / 1e9 - LEAD_SECONDS
        if lead > 0:
            time.sleep(lead)
        request(url + "/update/set_time", {"nanos_since_epoch": target})
        request(url + "/update/tick", {})


main()
