//! `group`: a resource group (Microsoft.Resources/resourceGroups, api-version 2025-04-01,
//! `resources/.../stable/2025-04-01/resources.json`, definition `ResourceGroup`).

use super::{field, id_attr, location_field, name_field, names, tags_field};
use lang::schema::{ArmMapping, AttrDef, FieldDef, KindDef, NameRule, Placement};
use lang::types::Type;

/// The `group` kind. `location` is required and cannot change after creation.
pub fn def() -> KindDef {
    KindDef {
        keyword: "group",
        doc: "A resource group: the container every other resource lives in.",
        arm_type: "Microsoft.Resources/resourceGroups",
        api_version: "2025-04-01",
        placement: Placement::ResourceGroup,
        fields: vec![
            name_field("The resource group name (1-90 characters); defaults to the declared name."),
            FieldDef {
                required: true,
                ..location_field()
            },
            tags_field(),
            field(
                "managed_by",
                Type::String,
                "ID of the resource that manages this group (managedBy).",
                ArmMapping::Path("managedBy"),
            ),
        ],
        blocks: vec![],
        children: vec![],
        attributes: vec![
            id_attr(),
            AttrDef {
                name: "provisioning_state",
                ty: Type::String,
                doc: "ARM provisioning state, e.g. Succeeded.",
                arm_path: "properties.provisioningState",
            },
        ],
        taggable: true,
        has_location: true,
        name_rule: NameRule {
            min: 1,
            max: 90,
            allowed: "letters, digits, underscores, hyphens, periods and parentheses; not ending in a period",
            valid: names::resource_group,
            explain: None,
        },
        inline_children: None,
    }
}
