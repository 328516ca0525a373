"""The request-body validator (validate_bodies.py): unit tests on the specs' own example
bodies and on broken ones, then the real check: every body capz sends while applying
each program in examples/ (recorded by `capz emulator serve --record-requests`) is valid
against the ARM specs vendored in vendor/arm-specs."""

import copy
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from validate_bodies import DEFAULT_SPECS, Specs, validate_file

SUB = "00000000-0000-0000-0000-000000000000"
REPO = Path(__file__).resolve().parent.parent.parent
SPECS = Path(os.environ.get("CAPZ_ARM_SPECS", DEFAULT_SPECS))
NET = "2026-01-01"
AKS = "2026-08-01"
VNET_PATH = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
CLUSTER_PATH = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c"


@pytest.fixture(scope="module")
def specs():
    assert SPECS.is_dir(), f"ARM specs not found at {SPECS}"
    return Specs.load(SPECS)


def record(method, path, api, body):
    return {"method": method, "path": path, "api_version": api, "body": body}


def vnet():
    return {
        "location": "westeurope",
        "tags": {"capz-stack": "s"},
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "a", "properties": {"addressPrefix": "10.0.0.0/24",
                                                    "privateEndpointNetworkPolicies": "Disabled"}}],
        },
    }


def spec_example_records():
    """PUT/PATCH bodies of the x-ms-examples the store has, as recorded lines."""
    import re
    out = []
    for f in sorted(SPECS.rglob("*.json")):
        if "examples" in f.parts:
            continue
        doc = json.loads(f.read_text(encoding="utf-8"))
        for template, item in (doc.get("paths") or {}).items():
            for m in ("put", "patch"):
                op = item.get(m)
                if not op:
                    continue
                # A parameter may be a local `#/parameters/X` reference (authorization specs).
                params_of = [doc.get("parameters", {}).get(p["$ref"].rsplit("/", 1)[-1], {})
                             if p.get("$ref", "").startswith("#/parameters/") else p
                             for p in op.get("parameters", [])]
                body_name = next((p["name"] for p in params_of if p.get("in") == "body"), None)
                for name, ex in (op.get("x-ms-examples") or {}).items():
                    ef = (f.parent / ex["$ref"]).resolve()
                    if not ef.exists():
                        continue
                    params = json.loads(ef.read_text(encoding="utf-8")).get("parameters", {})
                    path = re.sub(r"\{([^}]+)\}", lambda mm: str(params.get(mm.group(1), "x")), template)
                    out.append((ef.name, record(m.upper(), path, doc["info"]["version"], params.get(body_name))))
    return out


# Known disagreement between a Microsoft example and its own spec: the 2026-08-01
# dual-stack cluster example still sends sku.name "Basic", which the spec's enum
# (Base, Automatic) no longer lists.
EXAMPLE_SPEC_BUGS = {("ManagedClustersCreate_DualStackNetworking.json", "$.sku.name")}


def test_spec_examples_are_valid(specs):
    examples = spec_example_records()
    assert len(examples) >= 10
    for name, rec in examples:
        findings = [f for f in specs.validate(rec) if (name, f.where) not in EXAMPLE_SPEC_BUGS]
        assert findings == [], f"{name}: {[str(f) for f in findings]}"
    # The known bug is found, so the check is live.
    dual = [r for n, r in examples if n == "ManagedClustersCreate_DualStackNetworking.json"]
    assert dual and [f.where for f in specs.validate(dual[0])] == ["$.sku.name"]


def test_valid_vnet_with_inherited_and_read_only_properties(specs):
    body = vnet()
    # location/tags come from network.json's Resource via allOf; id/etag/type and
    # provisioningState are read-only: ARM ignores them in a request, so they pass.
    body.update({"id": VNET_PATH, "etag": "W/\"1\"", "type": "Microsoft.Network/virtualNetworks"})
    body["properties"]["provisioningState"] = "Succeeded"
    assert specs.validate(record("PUT", VNET_PATH, NET, body)) == []


def test_wrong_type_bad_enum_and_unknown_property_fail(specs):
    b = vnet()
    b["properties"]["addressSpace"]["addressPrefixes"] = "10.0.0.0/16"
    [f] = specs.validate(record("PUT", VNET_PATH, NET, b))
    assert f.where == "$.properties.addressSpace.addressPrefixes" and "array" in f.message

    b = vnet()
    b["properties"]["subnets"][0]["properties"]["privateEndpointNetworkPolicies"] = "Sometimes"
    [f] = specs.validate(record("PUT", VNET_PATH, NET, b))
    assert f.where == "$.properties.subnets[0].properties.privateEndpointNetworkPolicies"

    b = vnet()
    b["properties"]["adressSpace"] = b["properties"].pop("addressSpace")
    [f] = specs.validate(record("PUT", VNET_PATH, NET, b))
    assert f.where == "$.properties" and "'adressSpace'" in f.message

    b = vnet()
    b["tags"]["n"] = 3  # tags are a string map
    [f] = specs.validate(record("PUT", VNET_PATH, NET, b))
    assert f.where == "$.tags.n"


def test_open_mode_accepts_unknown_properties():
    b = vnet()
    b["properties"]["somethingNew"] = True
    assert Specs.load(SPECS, closed=False).validate(record("PUT", VNET_PATH, NET, b)) == []


def test_cluster_body_across_files(specs):
    body = {
        "location": "westeurope",
        "identity": {"type": "SystemAssigned"},  # common-types managed identity
        "sku": {"name": "Base", "tier": "Free"},
        "properties": {
            "dnsPrefix": "c",
            "kubernetesVersion": "1.33",
            "agentPoolProfiles": [{"name": "system", "mode": "System", "count": 1, "vmSize": "Standard_D2s_v5"}],
            "networkProfile": {"networkPlugin": "azure", "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10"},
        },
    }
    assert specs.validate(record("PUT", CLUSTER_PATH, AKS, body)) == []
    bad = copy.deepcopy(body)
    bad["identity"]["type"] = "Magic"
    bad["properties"]["agentPoolProfiles"][0]["count"] = "one"
    assert [f.where for f in specs.validate(record("PUT", CLUSTER_PATH, AKS, bad))] == [
        "$.identity.type", "$.properties.agentPoolProfiles[0].count"]


def test_paths_and_api_versions(specs):
    # Most literal template wins: a subnet PUT is checked against the Subnet schema.
    sub = record("PUT", VNET_PATH + "/subnets/s", NET, {"properties": {"addressPrefix": "10.0.1.0/24"}})
    assert specs.validate(sub) == []
    sub["body"]["properties"]["addressSpace"] = {}
    assert [f.where for f in specs.validate(sub)] == ["$.properties"]
    # Paths are case-insensitive (ARM's are).
    assert specs.validate(record("PUT", VNET_PATH.lower(), NET, vnet())) == []
    # An api-version without a spec, or a path no spec has, is a finding.
    [f] = specs.validate(record("PUT", VNET_PATH, "2019-01-01", vnet()))
    assert f.where == "path"
    [f] = specs.validate(record("PUT", f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Foo/bars/b", NET, {}))
    assert f.where == "path"
    # Reads and deletes have no body to check.
    assert specs.validate(record("DELETE", VNET_PATH, NET, None)) == []
    # older_ok: a newer version than any vendored spec is checked against the newest older
    # one (still strict), and says so; nothing older than every spec falls back.
    newer = record("PUT", VNET_PATH, "2026-03-01", vnet())
    assert [f.where for f in specs.validate(newer)] == ["path"]
    assert specs.validate(newer, older_ok=True) == []
    assert ("2026-03-01", NET) in specs.fallbacks
    newer["body"]["properties"]["noSuchMember"] = 1
    assert [f.where for f in specs.validate(newer, older_ok=True)] == ["$.properties"]
    [f] = specs.validate(record("PUT", VNET_PATH, "2015-06-15", vnet()), older_ok=True)
    assert f.where == "path"
    specs.fallbacks.clear()


def test_validate_file_counts(specs, tmp_path):
    f = tmp_path / "r.jsonl"
    bad = vnet()
    bad["location"] = 5
    lines = [record("PUT", VNET_PATH, NET, vnet()), record("DELETE", VNET_PATH, NET, None),
             record("PUT", VNET_PATH, NET, bad)]
    f.write_text("".join(json.dumps(x) + "\n" for x in lines))
    checked, findings = validate_file(f, specs)
    assert checked == 2 and [x.where for x in findings] == ["$.location"]


@pytest.mark.after_sdk_suite
def test_bodies_the_emulator_accepted_from_the_sdk_match_the_specs(specs, emulator, tmp_path):
    """The Azure SDK's bodies from the whole conformance run: every PUT/PATCH the emulator
    answered 2xx must be valid against the specs too (the error tests send bad bodies on
    purpose; the emulator must refuse those, which the other tests check)."""
    from conftest import RECORDING
    lines = [json.loads(x) for x in Path(RECORDING).read_text(encoding="utf-8").splitlines() if x.strip()]
    accepted = [x for x in lines if 200 <= x.get("status", 0) < 300]
    f = tmp_path / "accepted.jsonl"
    f.write_text("".join(json.dumps(x) + "\n" for x in accepted))
    # The newest SDK set sends api-versions newer than the vendored specs (azure-mgmt-network
    # 33.1.0: 2026-03-01, vendored: 2026-01-01): those bodies are checked against the newest
    # vendored older version of the operation, so a property it does not know still fails.
    checked, findings = validate_file(f, specs, older_ok=True)
    for sent, used in sorted(specs.fallbacks):
        print(f"note: api-version {sent} has no vendored spec; checked against {used}")
    if os.environ.get("CAPZ_SDK_SET", "pinned") == "pinned":
        assert specs.fallbacks == set(), f"the pinned SDK must match the vendored specs: {specs.fallbacks}"
    assert checked >= 10, f"only {checked} SDK bodies recorded"
    assert findings == [], "\n".join(str(x) for x in findings)


def _serve(binary, recording, state):
    proc = subprocess.Popen(
        [binary, "emulator", "serve", "--addr", "127.0.0.1:0", "--state", state,
         "--time-scale", "0", "--record-requests", str(recording)],
        stdout=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), f"unexpected first line: {line!r}"
    return proc, line[len("listening on "):]


EXAMPLES = sorted((REPO / "examples").glob("*.capz"))

# Examples that declare `existing` resources owned by another example: that one is applied
# first (and destroyed last), as its owning team would have.
PREREQUISITES = {"hub-and-spoke-existing.capz": ["hub-and-spoke.capz"]}


@pytest.mark.parametrize("program", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_bodies_capz_sends_for_examples_match_the_specs(specs, program):
    """Apply the example through the capz binary against a recording emulator, then
    destroy it; every PUT/PATCH body capz sent must be valid against the specs."""
    binary = os.environ.get("CAPZ_BIN", str(REPO / "target" / "debug" / "capz"))
    with tempfile.TemporaryDirectory(prefix="capz-bodies-") as work:
        recording = Path(work) / "requests.jsonl"
        proc, url = _serve(binary, recording, str(Path(work) / "arm"))
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("CAPZ_", "AZURE_"))}
            env.update({"CAPZ_ARM_ENDPOINT": url, "NO_COLOR": "1"})
            before = [REPO / "examples" / n for n in PREREQUISITES.get(program.name, [])]
            if "\nexisting " in program.read_text(encoding="utf-8"):
                assert before, f"{program.name} declares `existing` resources: name the example that owns them in PREREQUISITES"
            steps = ([("apply", q) for q in before] + [("apply", program), ("destroy", program)]
                     + [("destroy", q) for q in reversed(before)])
            for cmd, prog in steps:
                run = subprocess.run([binary, cmd, str(prog), "--auto-approve"], cwd=work, env=env,
                                     capture_output=True, text=True, timeout=300)
                assert run.returncode == 0, f"capz {cmd} {prog.name}:\n{run.stdout}\n{run.stderr}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        checked, findings = validate_file(recording, specs)
        assert checked > 0, "capz sent no PUT"
        assert findings == [], "\n".join(str(f) for f in findings)
