"""Microsoft.Resources/resourceGroups through azure-mgmt-resource."""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.resources.models import ResourceGroup


def test_resource_group_lifecycle(resources):
    rg = resources.resource_groups.create_or_update(
        "conf-rg-life", ResourceGroup(location="East US 2", tags={"team": "platform"}))
    assert rg.name == "conf-rg-life"
    assert rg.location == "eastus2"
    assert rg.properties.provisioning_state == "Succeeded"
    assert rg.id.lower() == "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/conf-rg-life"

    got = resources.resource_groups.get("conf-rg-life")
    assert got.tags == {"team": "platform"}
    assert resources.resource_groups.check_existence("conf-rg-life") is True
    names = [g.name for g in resources.resource_groups.list()]
    assert "conf-rg-life" in names

    updated = resources.resource_groups.create_or_update(
        "conf-rg-life", ResourceGroup(location="eastus2", tags={"team": "net"}))
    assert updated.tags == {"team": "net"}

    resources.resource_groups.begin_delete("conf-rg-life").result()
    with pytest.raises(ResourceNotFoundError):
        resources.resource_groups.get("conf-rg-life")
    assert resources.resource_groups.check_existence("conf-rg-life") is False


def test_missing_group_is_resource_group_not_found(resources):
    with pytest.raises(ResourceNotFoundError) as err:
        resources.resource_groups.get("conf-does-not-exist")
    assert err.value.error.code == "ResourceGroupNotFound"


def test_location_is_required(resources):
    with pytest.raises(HttpResponseError) as err:
        resources.resource_groups.create_or_update("conf-no-location", {"tags": {}})
    assert err.value.status_code == 400


def test_location_cannot_change(resources):
    resources.resource_groups.create_or_update("conf-rg-move", ResourceGroup(location="eastus2"))
    with pytest.raises(HttpResponseError) as err:
        resources.resource_groups.create_or_update("conf-rg-move", ResourceGroup(location="westeurope"))
    assert err.value.status_code in (400, 409)
    resources.resource_groups.begin_delete("conf-rg-move").result()
