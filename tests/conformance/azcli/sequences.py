"""The Azure CLI against `capz emulator serve`: the seeds' command sequences, verbatim.

Starts the emulator with TLS and sign-in required, points a pinned `az` (setup.sh) at it
with the three commands README shows, then runs the command sequences of the seeds
("Multi-Cluster AKS Management using Flux and ASO", and the networking of the
AKS-management-cluster seed) and asserts on what az prints. Any failing command fails the
run (exit status 1) with its output; nothing is skipped.

Usage: sequences.py CAPZ_BIN AZ_BIN
"""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

TENANT = "00000000-0000-0000-0000-000000000001"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
APP_ID = "5f3c8a52-6b0e-4c8e-9d7a-1e2f3a4b5c6d"
# A test credential of the emulator's own token endpoint (never a real secret).
APP_SECRET = "capz-conformance-secret"
COMMAND_TIMEOUT = 240  # seconds, per az command
LOCATION = "eastus"

FAILURES = []


def step(msg):
    print(f"--> {msg}", flush=True)


class Az:
    def __init__(self, az, env):
        self.az = az
        self.env = env

    def run(self, *args, ok=True):
        """Runs `az ARGS`; returns stdout. With ok=True a non-zero exit raises."""
        cmd = [self.az, *args, "--only-show-errors"]
        shown = " ".join(a if " " not in a else repr(a) for a in args)
        step(f"az {shown}")
        started = time.monotonic()
        try:
            p = subprocess.run(cmd, env=self.env, capture_output=True, text=True,
                               timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"az {shown}: no answer within {COMMAND_TIMEOUT} s")
        took = time.monotonic() - started
        if ok and p.returncode != 0:
            raise AssertionError(
                f"az {shown} exited {p.returncode} after {took:.1f} s\n"
                f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        if not ok and p.returncode == 0:
            raise AssertionError(f"az {shown} succeeded but should have failed:\n{p.stdout}")
        return p.stdout if ok else p.stderr

    def json(self, *args):
        out = self.run(*args, "-o", "json")
        try:
            return json.loads(out)
        except ValueError as e:
            raise AssertionError(f"az {' '.join(args)} printed no JSON ({e}):\n{out}")

    def tsv(self, *args):
        return self.run(*args, "-o", "tsv").strip()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def start_emulator(capz, work):
    ca = os.path.join(work, "ca.pem")
    proc = subprocess.Popen(
        [capz, "emulator", "serve", "--addr", "127.0.0.1:0",
         "--state", os.path.join(work, "state"), "--time-scale", "0.001",
         "--tls", "--cert-out", ca, "--require-auth",
         "--client", f"{TENANT}:{APP_ID}:{APP_SECRET}"],
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on https://"):
        proc.kill()
        raise AssertionError(f"capz emulator serve printed {line!r}, expected 'listening on https://...'")
    return proc, line[len("listening on "):], ca


def get_json(url, ca):
    ctx = ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(url, context=ctx, timeout=30) as r:
        return r.status, json.loads(r.read())


def sign_in(az, url, ca):
    """The three commands README shows (with AZURE_CORE_INSTANCE_DISCOVERY=false)."""
    # Cloud metadata is served without a token, and a registered endpoint ending in '/'
    # makes az ask for '//metadata/endpoints'.
    status, meta = get_json(f"{url}//metadata/endpoints?api-version=2022-09-01", ca)
    check(status == 200 and meta["authentication"]["loginEndpoint"] == url,
          f"/metadata/endpoints: {status} {meta}")
    status, oidc = get_json(f"{url}/{TENANT}/v2.0/.well-known/openid-configuration", ca)
    check(oidc["token_endpoint"] == f"{url}/{TENANT}/oauth2/v2.0/token", f"OpenID configuration: {oidc}")

    az.run("cloud", "register", "-n", "capzlocal", "--endpoint-resource-manager", url + "/")
    az.run("cloud", "set", "-n", "capzlocal")
    # A wrong secret is refused by the emulator's token endpoint (Entra's AADSTS7000215).
    # (Before the first sign-in: MSAL answers later ones from its token cache.)
    err = az.run("login", "--service-principal", "-u", APP_ID, "-p", "wrong", "--tenant", TENANT, ok=False)
    check("7000215" in err, f"a wrong secret should fail with AADSTS7000215:\n{err}")
    az.run("login", "--service-principal", "-u", APP_ID, "-p", APP_SECRET, "--tenant", TENANT, "-o", "none")
    account = az.json("account", "show")
    check(account["id"] == SUBSCRIPTION and account["tenantId"] == TENANT
          and account["user"]["name"] == APP_ID, f"az account show: {account}")
    check(az.json("cloud", "show")["endpoints"]["resourceManager"] == url + "/", "az cloud show")


def flux_aso_sequence(az, home):
    """From "Multi-Cluster AKS Management using Flux and ASO" (names from the seed)."""
    group, cluster, identity_name = "controlplane", "aso-cluster", "aso-identity"
    subid = az.tsv("account", "show", "--query", "id")
    tenant = az.tsv("account", "show", "--query", "tenantId")
    username = az.tsv("account", "show", "--query", "user.name")
    check(subid == SUBSCRIPTION and tenant == TENANT and username == APP_ID, "account show --query")

    az.run("group", "create", "-n", group, "-l", LOCATION)
    aso_id = az.tsv("aks", "create", "-g", group, "-n", cluster, "--node-count", "1",
                    "--enable-oidc-issuer", "--enable-workload-identity", "--generate-ssh-keys",
                    "--query", "id")
    check(aso_id.lower() == f"/subscriptions/{subid}/resourcegroups/{group}/providers/"
          f"microsoft.containerservice/managedclusters/{cluster}".lower(), f"aks create id: {aso_id}")
    check(os.path.exists(os.path.join(home, ".ssh", "id_rsa.pub")), "--generate-ssh-keys wrote no key")

    identity = az.tsv("identity", "create", "-g", group, "-n", identity_name, "--query", "clientId")
    check(len(identity) == 36, f"identity clientId: {identity!r}")
    assignment = az.json("role", "assignment", "create", "--role", "Contributor", "--assignee", identity,
                         "--scope", f"/subscriptions/{subid}/resourceGroups/{group}")
    principal = az.tsv("identity", "show", "-g", group, "-n", identity_name, "--query", "principalId")
    check(assignment["principalId"] == principal
          and assignment["roleDefinitionId"].endswith("/b24988ac-6180-42a0-ab88-20f7382dd24c")
          and assignment["principalType"] == "ServicePrincipal", f"role assignment: {assignment}")
    # The same assignment again: ARM answers 409 RoleAssignmentExists, on which az (for
    # idempotency) lists and returns the existing one, so there is still exactly one.
    again = az.json("role", "assignment", "create", "--role", "Contributor", "--assignee", identity,
                    "--scope", f"/subscriptions/{subid}/resourceGroups/{group}")
    check(again["name"] == assignment["name"], f"a second create made another assignment: {again}")
    listed = az.json("role", "assignment", "list", "--scope", f"/subscriptions/{subid}/resourceGroups/{group}")
    check([a["name"] for a in listed if a["principalId"] == principal] == [assignment["name"]],
          f"role assignment list: {listed}")
    # An assignee the directory does not know is not assigned.
    az.run("role", "assignment", "create", "--role", "Contributor",
           "--assignee", "11111111-2222-3333-4444-555555555555",
           "--scope", f"/subscriptions/{subid}/resourceGroups/{group}", ok=False)

    shown = az.json("aks", "show", "-g", group, "-n", cluster)
    issuer = shown["oidcIssuerProfile"]["issuerUrl"]
    check(issuer.startswith("https://") and shown["oidcIssuerProfile"]["enabled"] is True,
          f"oidcIssuerProfile: {shown.get('oidcIssuerProfile')}")
    check(shown["securityProfile"]["workloadIdentity"]["enabled"] is True, "workload identity not enabled")
    fic = az.json("identity", "federated-credential", "create", "--name", "aso-federated-credential",
                  "--identity-name", identity_name, "-g", group,
                  "--issuer", issuer,
                  "--subject", "system:serviceaccount:azureserviceoperator-system:azureserviceoperator-default",
                  "--audiences", "api://AzureADTokenExchange")
    check(fic["issuer"] == issuer and fic["audiences"] == ["api://AzureADTokenExchange"], f"fic: {fic}")

    # (The seed spells it get-credenitals; az has no such command, so the intended one runs.)
    az.run("aks", "get-credentials", "-g", group, "-n", cluster, "--overwrite-existing")
    kubeconfig = open(os.path.join(home, ".kube", "config")).read()
    check(f"current-context: {cluster}" in kubeconfig and "server: https://" in kubeconfig
          and f"clusterUser_{group}_{cluster}" in kubeconfig, f"kubeconfig:\n{kubeconfig}")

    fleet_group = "fleet"
    az.run("group", "create", "-n", fleet_group, "-l", LOCATION)
    az.run("role", "assignment", "create", "--role", "Contributor", "--assignee", identity,
           "--scope", f"/subscriptions/{subid}/resourceGroups/{fleet_group}")
    return group, cluster


def networking_sequence(az, group, cluster):
    """The networking of the AKS-management-cluster seed: hub and spoke VNets peered both
    ways, an NSG for the management plane (TCP 443 and 6443, UDP 53), a private DNS zone
    linked to the hub with an A record, an internal load balancer with a static frontend
    (an ARM template deployment), and a second node pool added and scaled."""
    az.run("network", "vnet", "create", "-g", group, "-n", "hub", "--address-prefixes", "10.0.0.0/16",
           "--subnet-name", "mgmt", "--subnet-prefixes", "10.0.1.0/24", "-o", "none")
    az.run("network", "vnet", "create", "-g", group, "-n", "spoke", "--address-prefixes", "10.1.0.0/16", "-o", "none")
    az.run("network", "vnet", "subnet", "create", "-g", group, "--vnet-name", "spoke", "-n", "nodes",
           "--address-prefixes", "10.1.1.0/24", "-o", "none")
    az.run("network", "vnet", "peering", "create", "-g", group, "-n", "hub-to-spoke", "--vnet-name", "hub",
           "--remote-vnet", "spoke", "--allow-vnet-access", "-o", "none")
    az.run("network", "vnet", "peering", "create", "-g", group, "-n", "spoke-to-hub", "--vnet-name", "spoke",
           "--remote-vnet", "hub", "--allow-vnet-access", "-o", "none")
    for vnet, name in (("hub", "hub-to-spoke"), ("spoke", "spoke-to-hub")):
        state = az.tsv("network", "vnet", "peering", "show", "-g", group, "--vnet-name", vnet, "-n", name,
                       "--query", "peeringState")
        check(state == "Connected", f"peering {name}: {state}")

    az.run("network", "nsg", "create", "-g", group, "-n", "mgmt-nsg", "-o", "none")
    for name, prio, proto, port, direction in (("https", 100, "Tcp", "443", "Inbound"),
                                               ("kube-api", 110, "Tcp", "6443", "Inbound"),
                                               ("dns", 120, "Udp", "53", "Outbound")):
        az.run("network", "nsg", "rule", "create", "-g", group, "--nsg-name", "mgmt-nsg", "-n", name,
               "--priority", str(prio), "--protocol", proto, "--destination-port-ranges", port,
               "--access", "Allow", "--direction", direction, "-o", "none")
    rules = az.json("network", "nsg", "rule", "list", "-g", group, "--nsg-name", "mgmt-nsg")
    got = sorted((r["protocol"], r["destinationPortRange"]) for r in rules)
    check(got == [("Tcp", "443"), ("Tcp", "6443"), ("Udp", "53")], f"NSG rules: {got}")

    zone = "privatelink.eastus.azmk8s.io"
    az.run("network", "private-dns", "zone", "create", "-g", group, "-n", zone, "-o", "none")
    az.run("network", "private-dns", "link", "vnet", "create", "-g", group, "-z", zone, "-n", "hub-link",
           "-v", "hub", "-e", "false", "-o", "none")
    az.run("network", "private-dns", "record-set", "a", "add-record", "-g", group, "-z", zone, "-n", "api",
           "-a", "10.0.1.10", "-o", "none")
    records = az.json("network", "private-dns", "record-set", "a", "show", "-g", group, "-z", zone, "-n", "api")
    check([r["ipv4Address"] for r in records["aRecords"]] == ["10.0.1.10"], f"A record: {records}")

    az.run("network", "lb", "create", "-g", group, "-n", "mgmt-ilb", "--sku", "Standard",
           "--vnet-name", "hub", "--subnet", "mgmt", "--private-ip-address", "10.0.1.20",
           "--frontend-ip-name", "mgmt-fe", "--backend-pool-name", "mgmt-be", "-o", "none")
    fe = az.json("network", "lb", "frontend-ip", "show", "-g", group, "--lb-name", "mgmt-ilb", "-n", "mgmt-fe")
    check(fe["privateIPAddress"] == "10.0.1.20" and fe["privateIPAllocationMethod"] == "Static",
          f"LB frontend: {fe}")
    deployments = az.json("deployment", "group", "list", "-g", group)
    check(any(d["properties"]["provisioningState"] == "Succeeded"
              and d["properties"]["outputs"]["loadBalancer"]["value"]["frontendIPConfigurations"]
              for d in deployments), f"lb create's deployment: {deployments}")
    # A second static frontend on a taken address is refused inside the deployment.
    err = az.run("network", "lb", "create", "-g", group, "-n", "other-ilb", "--sku", "Standard",
                 "--vnet-name", "hub", "--subnet", "mgmt", "--private-ip-address", "10.0.1.20", ok=False)
    check("PrivateIPAddressIsAllocated" in err or "DeploymentFailed" in err, f"taken frontend IP:\n{err}")

    az.run("aks", "nodepool", "add", "-g", group, "--cluster-name", cluster, "-n", "pool2",
           "--node-count", "1", "-o", "none")
    az.run("aks", "nodepool", "scale", "-g", group, "--cluster-name", cluster, "-n", "pool2",
           "--node-count", "2", "-o", "none")
    count = az.tsv("aks", "nodepool", "show", "-g", group, "--cluster-name", cluster, "-n", "pool2",
                   "--query", "count")
    check(count == "2", f"pool2 count after scale: {count}")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    capz, az_bin = sys.argv[1], sys.argv[2]
    for path in (capz, az_bin):
        if not os.access(path, os.X_OK):
            print(f"FAIL: {path} is missing or not executable", file=sys.stderr)
            return 1
    work = tempfile.mkdtemp(prefix="capz-azcli-")
    home = os.path.join(work, "home")
    os.makedirs(home)
    proc, url, ca = start_emulator(capz, work)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,  # --generate-ssh-keys and get-credentials write here, not to the user's home
        "AZURE_CONFIG_DIR": os.path.join(work, "azure"),
        "REQUESTS_CA_BUNDLE": ca,
        # MSAL asks login.microsoftonline.com to vouch for an authority it does not know;
        # az's switch for private clouds turns that off (README).
        "AZURE_CORE_INSTANCE_DISCOVERY": "false",
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_NO_COLOR": "true",
    }
    az = Az(az_bin, env)
    started = time.monotonic()
    try:
        sign_in(az, url, ca)
        group, cluster = flux_aso_sequence(az, home)
        networking_sequence(az, group, cluster)
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"azure-cli sequences passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
