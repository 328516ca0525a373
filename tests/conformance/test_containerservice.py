"""Microsoft.ContainerService managedClusters and agentPools through azure-mgmt-containerservice."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.containerservice.models import (
    AgentPool,
    ContainerServiceNetworkProfile,
    ManagedCluster,
    ManagedClusterAgentPoolProfile,
    ManagedClusterIdentity,
)


def _cluster(dns_prefix="conf", **network):
    profile = {"network_plugin": "azure", "service_cidr": "172.16.0.0/16",
               "dns_service_ip": "172.16.0.10"}
    profile.update(network)
    return ManagedCluster(
        location="eastus2",
        dns_prefix=dns_prefix,
        kubernetes_version="1.33",
        identity=ManagedClusterIdentity(type="SystemAssigned"),
        network_profile=ContainerServiceNetworkProfile(**profile),
        agent_pool_profiles=[ManagedClusterAgentPoolProfile(
            name="system", mode="System", vm_size="Standard_D2s_v3", count=2)],
    )


def test_cluster_and_pool_lifecycle(aks, group):
    mc = aks.managed_clusters.begin_create_or_update(group, "aks", _cluster()).result()
    assert mc.provisioning_state == "Succeeded"
    assert mc.fqdn and mc.fqdn.startswith("conf-")
    assert mc.node_resource_group == f"MC_{group}_aks_eastus2"
    assert mc.current_kubernetes_version.startswith("1.33.")
    assert mc.power_state.code == "Running"
    assert [p.name for p in mc.agent_pool_profiles] == ["system"]

    pools = list(aks.agent_pools.list(group, "aks"))
    assert [p.name for p in pools] == ["system"]
    assert pools[0].current_orchestrator_version.startswith("1.33.")

    pool = aks.agent_pools.begin_create_or_update(group, "aks", "user", AgentPool(
        mode="User", vm_size="Standard_D2s_v4", count=1)).result()
    assert pool.provisioning_state == "Succeeded"
    assert pool.node_image_version

    pool.count = 3
    scaled = aks.agent_pools.begin_create_or_update(group, "aks", "user", pool).result()
    assert scaled.count == 3
    assert {p.name for p in aks.agent_pools.list(group, "aks")} == {"system", "user"}
    assert [c.name for c in aks.managed_clusters.list_by_resource_group(group)] == ["aks"]

    aks.agent_pools.begin_delete(group, "aks", "user").result()
    with pytest.raises(ResourceNotFoundError):
        aks.agent_pools.get(group, "aks", "user")
    aks.managed_clusters.begin_delete(group, "aks").result()
    with pytest.raises(ResourceNotFoundError):
        aks.managed_clusters.get(group, "aks")


def test_dns_service_ip_outside_service_cidr_is_refused(aks, group):
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_create_or_update(
            group, "bad", _cluster(dns_service_ip="10.0.0.10")).result()
    assert err.value.status_code == 400


def test_changing_dns_prefix_is_refused(aks, group):
    aks.managed_clusters.begin_create_or_update(group, "aks", _cluster()).result()
    changed = _cluster(dns_prefix="other")
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_create_or_update(group, "aks", changed).result()
    assert err.value.status_code == 400


def test_changing_pool_vm_size_is_refused(aks, group):
    aks.managed_clusters.begin_create_or_update(group, "aks", _cluster()).result()
    with pytest.raises(HttpResponseError) as err:
        aks.agent_pools.begin_create_or_update(group, "aks", "system", AgentPool(
            mode="System", vm_size="Standard_D8s_v3", count=2)).result()
    assert err.value.status_code == 400


def test_missing_api_version_is_400(emulator, group):
    import urllib.request, urllib.error, json
    url = (f"{emulator}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
           f"{group}/providers/Microsoft.ContainerService/managedClusters/aks")
    try:
        urllib.request.urlopen(url)
        raise AssertionError("expected HTTP 400")
    except urllib.error.HTTPError as e:
        assert e.code == 400
        assert json.load(e)["error"]["code"] == "MissingApiVersionParameter"
