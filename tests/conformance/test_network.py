"""Microsoft.Network virtualNetworks and subnets through azure-mgmt-network."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError


def test_vnet_and_subnet_lifecycle(network, group):
    vnet = network.virtual_networks.begin_create_or_update(group, "net", {
        "location": "eastus2",
        "address_space": {"address_prefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "nodes", "address_prefix": "10.0.0.0/22"}],
        "tags": {"capz-stack": "conformance"},
    }).result()
    assert vnet.provisioning_state == "Succeeded"
    assert vnet.address_space.address_prefixes == ["10.0.0.0/16"]
    assert vnet.resource_guid
    assert vnet.etag
    assert [s.name for s in vnet.subnets] == ["nodes"]

    subnet = network.subnets.begin_create_or_update(
        group, "net", "pods", {"address_prefix": "10.0.8.0/22"}).result()
    assert subnet.provisioning_state == "Succeeded"
    assert subnet.id.endswith("/virtualNetworks/net/subnets/pods")

    assert {s.name for s in network.subnets.list(group, "net")} == {"nodes", "pods"}
    assert [v.name for v in network.virtual_networks.list(group)] == ["net"]
    got = network.virtual_networks.get(group, "net")
    assert {s.name for s in got.subnets} == {"nodes", "pods"}

    # update: address space grows
    vnet.address_space.address_prefixes = ["10.0.0.0/16", "10.1.0.0/16"]
    updated = network.virtual_networks.begin_create_or_update(group, "net", vnet).result()
    assert sorted(updated.address_space.address_prefixes) == ["10.0.0.0/16", "10.1.0.0/16"]

    network.subnets.begin_delete(group, "net", "pods").result()
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(group, "net", "pods")
    network.virtual_networks.begin_delete(group, "net").result()
    with pytest.raises(ResourceNotFoundError) as err:
        network.virtual_networks.get(group, "net")
    assert err.value.error.code == "ResourceNotFound"


def test_subnet_outside_vnet_is_refused(network, group):
    network.virtual_networks.begin_create_or_update(group, "net", {
        "location": "eastus2", "address_space": {"address_prefixes": ["10.0.0.0/16"]},
    }).result()
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            group, "net", "outside", {"address_prefix": "10.9.0.0/24"}).result()
    assert err.value.status_code == 400
    assert err.value.error.code == "NetcfgSubnetRangeOutsideVnet"


def test_overlapping_subnets_are_refused(network, group):
    network.virtual_networks.begin_create_or_update(group, "net", {
        "location": "eastus2", "address_space": {"address_prefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "a", "address_prefix": "10.0.0.0/23"}],
    }).result()
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            group, "net", "b", {"address_prefix": "10.0.1.0/24"}).result()
    assert err.value.error.code == "NetcfgSubnetRangesOverlap"


def test_subnet_of_missing_vnet_is_parent_not_found(network, group):
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            group, "ghost", "s", {"address_prefix": "10.0.0.0/24"}).result()
    assert err.value.status_code == 404
    assert err.value.error.code == "ParentResourceNotFound"


def test_vnet_in_missing_group_is_group_not_found(network):
    with pytest.raises(HttpResponseError) as err:
        network.virtual_networks.begin_create_or_update("conf-ghost-rg", "net", {
            "location": "eastus2", "address_space": {"address_prefixes": ["10.0.0.0/16"]},
        }).result()
    assert err.value.status_code == 404
    assert err.value.error.code == "ResourceGroupNotFound"
