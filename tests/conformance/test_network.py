"""Microsoft.Network virtualNetworks and subnets through azure-mgmt-network."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network.models import AddressSpace, Subnet, VirtualNetwork


def _vnet(*prefixes, subnets=()):
    return VirtualNetwork(
        location="eastus2",
        address_space=AddressSpace(address_prefixes=list(prefixes)),
        subnets=[Subnet(name=n, address_prefix=p) for n, p in subnets] or None,
        tags={"capz-stack": "conformance"},
    )


def test_vnet_and_subnet_lifecycle(network, group):
    vnet = network.virtual_networks.begin_create_or_update(
        group, "net", _vnet("10.0.0.0/16", subnets=[("nodes", "10.0.0.0/22")])).result()
    assert vnet.provisioning_state == "Succeeded"
    assert vnet.address_space.address_prefixes == ["10.0.0.0/16"]
    assert vnet.resource_guid
    assert vnet.etag
    assert [s.name for s in vnet.subnets] == ["nodes"]

    subnet = network.subnets.begin_create_or_update(
        group, "net", "pods", Subnet(address_prefix="10.0.8.0/22")).result()
    assert subnet.provisioning_state == "Succeeded"
    assert subnet.id.endswith("/virtualNetworks/net/subnets/pods")

    assert {s.name for s in network.subnets.list(group, "net")} == {"nodes", "pods"}
    assert [v.name for v in network.virtual_networks.list(group)] == ["net"]
    got = network.virtual_networks.get(group, "net")
    assert {s.name for s in got.subnets} == {"nodes", "pods"}

    # update, the way SDK users do it: GET, change, PUT the model back.
    got.address_space.address_prefixes = ["10.0.0.0/16", "10.1.0.0/16"]
    updated = network.virtual_networks.begin_create_or_update(group, "net", got).result()
    assert sorted(updated.address_space.address_prefixes) == ["10.0.0.0/16", "10.1.0.0/16"]
    assert updated.etag != vnet.etag

    network.subnets.begin_delete(group, "net", "pods").result()
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(group, "net", "pods")
    network.virtual_networks.begin_delete(group, "net").result()
    with pytest.raises(ResourceNotFoundError) as err:
        network.virtual_networks.get(group, "net")
    assert err.value.error.code == "ResourceNotFound"


def test_subnet_outside_vnet_is_refused(network, group):
    network.virtual_networks.begin_create_or_update(group, "net", _vnet("10.0.0.0/16")).result()
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            group, "net", "outside", Subnet(address_prefix="10.9.0.0/24")).result()
    assert err.value.status_code == 400
    assert err.value.error.code == "NetcfgSubnetRangeOutsideVnet"


def test_overlapping_subnets_are_refused(network, group):
    network.virtual_networks.begin_create_or_update(
        group, "net", _vnet("10.0.0.0/16", subnets=[("a", "10.0.0.0/23")])).result()
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            group, "net", "b", Subnet(address_prefix="10.0.1.0/24")).result()
    assert err.value.error.code == "NetcfgSubnetRangesOverlap"


def test_subnet_of_missing_vnet_is_parent_not_found(network, group):
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            group, "ghost", "s", Subnet(address_prefix="10.0.0.0/24")).result()
    assert err.value.status_code == 404
    assert err.value.error.code == "ParentResourceNotFound"


def test_vnet_in_missing_group_is_group_not_found(network):
    with pytest.raises(HttpResponseError) as err:
        network.virtual_networks.begin_create_or_update(
            "conf-ghost-rg", "net", _vnet("10.0.0.0/16")).result()
    assert err.value.status_code == 404
    assert err.value.error.code == "ResourceGroupNotFound"


def test_malformed_json_is_invalid_request_content(emulator, group):
    import json, urllib.error, urllib.request
    url = (f"{emulator}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
           f"{group}/providers/Microsoft.Network/virtualNetworks/bad?api-version=2026-01-01")
    req = urllib.request.Request(url, data=b"{not json", method="PUT",
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert err.value.code == 400
    assert json.load(err.value)["error"]["code"] == "InvalidRequestContent"
