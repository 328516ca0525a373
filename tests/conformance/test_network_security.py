"""Microsoft.Network networkSecurityGroups, securityRules and publicIPAddresses through
azure-mgmt-network (2026-01-01)."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network.models import (
    AddressSpace,
    NetworkSecurityGroup,
    PublicIPAddress,
    PublicIPAddressSku,
    SecurityRule,
    Subnet,
    TagsObject,
    VirtualNetwork,
)


def _rule(priority, direction="Inbound", name=None, port="443"):
    return SecurityRule(
        name=name, protocol="Tcp", access="Allow", priority=priority, direction=direction,
        source_port_range="*", destination_port_range=port,
        source_address_prefix="*", destination_address_prefix="*")


def test_nsg_and_rule_lifecycle(network, group):
    nsg = network.network_security_groups.begin_create_or_update(
        group, "nsg", NetworkSecurityGroup(
            location="eastus2", security_rules=[_rule(130, name="https")])).result()
    assert nsg.provisioning_state == "Succeeded"
    assert nsg.resource_guid and nsg.etag
    assert [r.name for r in nsg.security_rules] == ["https"]
    assert len(nsg.default_security_rules) == 6
    assert {r.priority for r in nsg.default_security_rules} == {65000, 65001, 65500}

    rule = network.security_rules.begin_create_or_update(
        group, "nsg", "ssh", _rule(200, port="22")).result()
    assert rule.provisioning_state == "Succeeded"
    assert rule.id.endswith("/networkSecurityGroups/nsg/securityRules/ssh")
    assert {r.name for r in network.security_rules.list(group, "nsg")} == {"https", "ssh"}
    assert [n.name for n in network.network_security_groups.list(group)] == ["nsg"]

    # update the way SDK users do: GET, change, PUT back.
    rule = network.security_rules.get(group, "nsg", "ssh")
    rule.destination_port_range = "2222"
    assert network.security_rules.begin_create_or_update(
        group, "nsg", "ssh", rule).result().destination_port_range == "2222"
    tagged = network.network_security_groups.update_tags(group, "nsg", TagsObject(tags={"a": "b"}))
    assert tagged.tags == {"a": "b"}

    network.security_rules.begin_delete(group, "nsg", "ssh").result()
    with pytest.raises(ResourceNotFoundError):
        network.security_rules.get(group, "nsg", "ssh")
    network.network_security_groups.begin_delete(group, "nsg").result()
    with pytest.raises(ResourceNotFoundError) as err:
        network.network_security_groups.get(group, "nsg")
    assert err.value.error.code == "ResourceNotFound"


def test_rule_priority_conflict_and_range(network, group):
    network.network_security_groups.begin_create_or_update(
        group, "nsg", NetworkSecurityGroup(location="eastus2", security_rules=[_rule(100, name="a")])).result()
    with pytest.raises(HttpResponseError) as err:
        network.security_rules.begin_create_or_update(group, "nsg", "b", _rule(100)).result()
    assert err.value.status_code == 400
    assert err.value.error.code == "SecurityRuleConflict"
    with pytest.raises(HttpResponseError) as err:
        network.security_rules.begin_create_or_update(group, "nsg", "c", _rule(5000)).result()
    assert err.value.error.code == "InvalidParameter"
    # same priority, the other direction is fine
    network.security_rules.begin_create_or_update(group, "nsg", "d", _rule(100, "Outbound")).result()


def test_nsg_in_use_by_subnet_cannot_be_deleted(network, group):
    nsg = network.network_security_groups.begin_create_or_update(
        group, "nsg", NetworkSecurityGroup(location="eastus2")).result()
    network.virtual_networks.begin_create_or_update(group, "net", VirtualNetwork(
        location="eastus2", address_space=AddressSpace(address_prefixes=["10.0.0.0/16"]))).result()
    subnet = network.subnets.begin_create_or_update(group, "net", "s", Subnet(
        address_prefix="10.0.0.0/24", network_security_group=NetworkSecurityGroup(id=nsg.id))).result()
    assert subnet.network_security_group.id == nsg.id
    assert [s.id for s in network.network_security_groups.get(group, "nsg").subnets] == [subnet.id]
    with pytest.raises(HttpResponseError) as err:
        network.network_security_groups.begin_delete(group, "nsg").result()
    assert err.value.error.code == "InUseNetworkSecurityGroupCannotBeDeleted"
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(group, "net", "t", Subnet(
            address_prefix="10.0.1.0/24",
            network_security_group=NetworkSecurityGroup(id=nsg.id + "-ghost"))).result()
    assert err.value.error.code == "InvalidResourceReference"


def test_public_ip_lifecycle(network, group):
    basic = network.public_ip_addresses.begin_create_or_update(
        group, "basic", PublicIPAddress(location="eastus2")).result()
    assert basic.sku.name == "Basic"
    assert basic.public_ip_allocation_method == "Dynamic"
    assert basic.public_ip_address_version == "IPv4"
    assert basic.idle_timeout_in_minutes == 4
    assert basic.ip_address is None

    std = network.public_ip_addresses.begin_create_or_update(group, "std", PublicIPAddress(
        location="eastus2", sku=PublicIPAddressSku(name="Standard"),
        public_ip_allocation_method="Static")).result()
    assert std.ip_address
    std.idle_timeout_in_minutes = 10
    again = network.public_ip_addresses.begin_create_or_update(group, "std", std).result()
    assert again.ip_address == std.ip_address and again.idle_timeout_in_minutes == 10
    assert {p.name for p in network.public_ip_addresses.list(group)} == {"basic", "std"}
    network.public_ip_addresses.begin_delete(group, "std").result()
    with pytest.raises(ResourceNotFoundError):
        network.public_ip_addresses.get(group, "std")
