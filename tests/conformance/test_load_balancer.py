"""Microsoft.Network loadBalancers (inline frontends/rules/probes, backend pools as children)
and virtualNetworkPeerings through azure-mgmt-network (2026-01-01)."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network.models import (
    AddressSpace,
    BackendAddressPool,
    FrontendIPConfiguration,
    LoadBalancer,
    LoadBalancerSku,
    LoadBalancingRule,
    Probe,
    Subnet,
    SubResource,
    VirtualNetwork,
    VirtualNetworkPeering,
)

SUB = "00000000-0000-0000-0000-000000000000"


def _vnet(network, group, name, prefix, subnet=None):
    subnets = [Subnet(name=subnet[0], address_prefix=subnet[1])] if subnet else None
    return network.virtual_networks.begin_create_or_update(group, name, VirtualNetwork(
        location="eastus2", address_space=AddressSpace(address_prefixes=[prefix]),
        subnets=subnets)).result()


def _lb(group, name, subnet_id, static_ip=None):
    lb_id = f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Network/loadBalancers/{name}"
    fe = FrontendIPConfiguration(name="fe", subnet=Subnet(id=subnet_id))
    if static_ip:
        fe.private_ip_allocation_method = "Static"
        fe.private_ip_address = static_ip
    return LoadBalancer(
        location="eastus2", sku=LoadBalancerSku(name="Standard"),
        frontend_ip_configurations=[fe],
        backend_address_pools=[BackendAddressPool(name="be")],
        probes=[Probe(name="hp", protocol="Tcp", port=6443)],
        load_balancing_rules=[LoadBalancingRule(
            name="api", protocol="Tcp", frontend_port=6443, backend_port=6443,
            frontend_ip_configuration=SubResource(id=f"{lb_id}/frontendIPConfigurations/fe"),
            backend_address_pool=SubResource(id=f"{lb_id}/backendAddressPools/be"),
            probe=SubResource(id=f"{lb_id}/probes/hp"))])


def test_internal_lb_lifecycle(network, group):
    vnet = _vnet(network, group, "net", "10.0.0.0/16", ("nodes", "10.0.1.0/24"))
    subnet_id = vnet.subnets[0].id
    lb = network.load_balancers.begin_create_or_update(group, "lb", _lb(group, "lb", subnet_id)).result()
    assert lb.provisioning_state == "Succeeded"
    fe = lb.frontend_ip_configurations[0]
    assert fe.private_ip_address == "10.0.1.4"
    assert fe.private_ip_allocation_method == "Dynamic"
    assert [r.id for r in fe.load_balancing_rules] == [lb.load_balancing_rules[0].id]
    assert lb.load_balancing_rules[0].idle_timeout_in_minutes == 4
    assert lb.probes[0].interval_in_seconds == 15
    assert [p.name for p in lb.backend_address_pools] == ["be"]

    assert network.load_balancer_probes.get(group, "lb", "hp").port == 6443
    assert [f.name for f in network.load_balancer_frontend_ip_configurations.list(group, "lb")] == ["fe"]
    assert network.load_balancer_load_balancing_rules.get(group, "lb", "api").frontend_port == 6443

    pool = network.load_balancer_backend_address_pools.begin_create_or_update(
        group, "lb", "extra", BackendAddressPool()).result()
    assert pool.provisioning_state == "Succeeded"
    assert {p.name for p in network.load_balancer_backend_address_pools.list(group, "lb")} == {"be", "extra"}
    network.load_balancer_backend_address_pools.begin_delete(group, "lb", "extra").result()
    with pytest.raises(ResourceNotFoundError):
        network.load_balancer_backend_address_pools.get(group, "lb", "extra")

    # GET, change, PUT back: the allocated address stays.
    got = network.load_balancers.get(group, "lb")
    got.probes[0].interval_in_seconds = 30
    updated = network.load_balancers.begin_create_or_update(group, "lb", got).result()
    assert updated.probes[0].interval_in_seconds == 30
    assert updated.frontend_ip_configurations[0].private_ip_address == "10.0.1.4"
    assert [x.name for x in network.load_balancers.list(group)] == ["lb"]

    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_delete(group, "net", "nodes").result()
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"
    network.load_balancers.begin_delete(group, "lb").result()
    with pytest.raises(ResourceNotFoundError):
        network.load_balancers.get(group, "lb")
    network.subnets.begin_delete(group, "net", "nodes").result()


def test_static_frontend_must_be_in_subnet(network, group):
    vnet = _vnet(network, group, "net", "10.0.0.0/16", ("nodes", "10.0.1.0/24"))
    with pytest.raises(HttpResponseError) as err:
        network.load_balancers.begin_create_or_update(
            group, "lb", _lb(group, "lb", vnet.subnets[0].id, "10.0.2.10")).result()
    assert err.value.error.code == "PrivateIPAddressNotInSubnet"
    lb = network.load_balancers.begin_create_or_update(
        group, "lb", _lb(group, "lb", vnet.subnets[0].id, "10.0.1.10")).result()
    assert lb.frontend_ip_configurations[0].private_ip_address == "10.0.1.10"


def test_rule_must_reference_own_children(network, group):
    vnet = _vnet(network, group, "net", "10.0.0.0/16", ("nodes", "10.0.1.0/24"))
    body = _lb(group, "lb", vnet.subnets[0].id)
    body.load_balancing_rules[0].probe = SubResource(id=body.load_balancing_rules[0].probe.id.replace("/hp", "/nope"))
    with pytest.raises(HttpResponseError) as err:
        network.load_balancers.begin_create_or_update(group, "lb", body).result()
    assert err.value.error.code == "InvalidResourceReference"


def test_peering_connects_when_both_sides_peer(network, group):
    a = _vnet(network, group, "net-a", "10.1.0.0/16")
    b = _vnet(network, group, "net-b", "10.2.0.0/16")
    ab = network.virtual_network_peerings.begin_create_or_update(group, "net-a", "to-b", VirtualNetworkPeering(
        remote_virtual_network=SubResource(id=b.id), allow_virtual_network_access=True)).result()
    assert ab.peering_state == "Initiated"
    assert ab.remote_address_space.address_prefixes == ["10.2.0.0/16"]
    network.virtual_network_peerings.begin_create_or_update(group, "net-b", "to-a", VirtualNetworkPeering(
        remote_virtual_network=SubResource(id=a.id), allow_virtual_network_access=True)).result()
    assert network.virtual_network_peerings.get(group, "net-a", "to-b").peering_state == "Connected"
    assert network.virtual_network_peerings.get(group, "net-b", "to-a").peering_state == "Connected"
    assert [p.name for p in network.virtual_network_peerings.list(group, "net-a")] == ["to-b"]
    assert network.virtual_networks.get(group, "net-a").virtual_network_peerings[0].peering_state == "Connected"
    network.virtual_network_peerings.begin_delete(group, "net-b", "to-a").result()
    assert network.virtual_network_peerings.get(group, "net-a", "to-b").peering_state == "Disconnected"


def test_peering_errors(network, group):
    a = _vnet(network, group, "net-a", "10.1.0.0/16")
    c = _vnet(network, group, "net-c", "10.1.128.0/17")
    with pytest.raises(HttpResponseError) as err:
        network.virtual_network_peerings.begin_create_or_update(group, "net-a", "to-c", VirtualNetworkPeering(
            remote_virtual_network=SubResource(id=c.id))).result()
    assert err.value.error.code == "VnetAddressSpacesOverlap"
    with pytest.raises(HttpResponseError) as err:
        network.virtual_network_peerings.begin_create_or_update(group, "net-a", "to-x", VirtualNetworkPeering(
            remote_virtual_network=SubResource(id=a.id.replace("/net-a", "/ghost")))).result()
    assert err.value.error.code == "InvalidResourceReference"
