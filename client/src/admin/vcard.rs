//! `vcard` on the admin API: any user's vCard. The types mirror [`crate::user::vcard`]'s (the
//! admin schema declares its own, identical ones).

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin_schema as schema;
use crate::scalars::Jid;

macro_rules! tag_enum {
    ($name:ident { $($v:ident),* $(,)? }) => {
        #[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
        #[cynic(schema = "mimql_admin")]
        pub enum $name { $($v),* }
    };
}

tag_enum!(AddressTags {
    Home,
    Work,
    Postal,
    Parcel,
    Dom,
    Pref,
    Intl
});
tag_enum!(TelephoneTags {
    Home,
    Work,
    Voice,
    Fax,
    Pager,
    Msg,
    Cell,
    Video,
    Bbs,
    Modem,
    Isdn,
    Pcs,
    Pref
});
tag_enum!(EmailTags {
    Home,
    Work,
    Internet,
    Pref,
    X400
});
tag_enum!(PrivacyClassificationTags {
    Public,
    Private,
    Confidential
});

// ---- input ----

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct NameComponentsInput {
    pub family: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct ImageInput {
    #[cynic(rename = "type")]
    pub type_: Option<String>,
    pub bin_value: Option<String>,
    pub ext_value: Option<String>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct AddressInput {
    pub tags: Option<Vec<AddressTags>>,
    pub pobox: Option<String>,
    pub extadd: Option<String>,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub pcode: Option<String>,
    pub country: Option<String>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct LabelInput {
    pub tags: Option<Vec<AddressTags>>,
    pub line: Vec<String>,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql_admin")]
pub struct TelephoneInput {
    pub tags: Option<Vec<TelephoneTags>>,
    pub number: String,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql_admin")]
pub struct EmailInput {
    pub tags: Option<Vec<EmailTags>>,
    pub user_id: String,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql_admin")]
pub struct GeographicalPositionInput {
    pub lat: String,
    pub lon: String,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct AgentInput {
    pub ext_value: Option<String>,
    pub vcard: Option<Box<VcardInput>>,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql_admin")]
pub struct OrganizationInput {
    pub orgname: String,
    pub orgunit: Option<Vec<String>>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct KeywordInput {
    pub keyword: Option<Vec<String>>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct SoundInput {
    pub phonetic: Option<String>,
    pub bin_value: Option<String>,
    pub ext_value: Option<String>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct PrivacyInput {
    pub tags: Option<Vec<PrivacyClassificationTags>>,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql_admin")]
pub struct KeyInput {
    #[cynic(rename = "type")]
    pub type_: Option<String>,
    pub credential: String,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql_admin")]
pub struct VcardInput {
    pub formatted_name: String,
    pub name_components: NameComponentsInput,
    pub nickname: Option<Vec<Option<String>>>,
    pub photo: Option<Vec<ImageInput>>,
    pub birthday: Option<Vec<String>>,
    pub address: Option<Vec<AddressInput>>,
    pub label: Option<Vec<LabelInput>>,
    pub telephone: Option<Vec<TelephoneInput>>,
    pub email: Option<Vec<EmailInput>>,
    pub jabber_id: Option<Vec<String>>,
    pub mailer: Option<Vec<String>>,
    pub time_zone: Option<Vec<String>>,
    pub geo: Option<Vec<GeographicalPositionInput>>,
    pub title: Option<Vec<String>>,
    pub role: Option<Vec<String>>,
    pub logo: Option<Vec<ImageInput>>,
    pub agent: Option<Vec<AgentInput>>,
    pub org: Option<Vec<OrganizationInput>>,
    pub categories: Option<Vec<KeywordInput>>,
    pub note: Option<Vec<String>>,
    pub prod_id: Option<Vec<String>>,
    pub rev: Option<Vec<String>>,
    pub sort_string: Option<Vec<String>>,
    pub sound: Option<Vec<SoundInput>>,
    pub uid: Option<Vec<String>>,
    pub url: Option<Vec<String>>,
    pub desc: Option<Vec<String>>,
    pub class: Option<Vec<PrivacyInput>>,
    pub key: Option<Vec<KeyInput>>,
}

// ---- output ----

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct NameComponents {
    pub family: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct ImageData {
    #[cynic(rename = "type")]
    pub type_: Option<String>,
    pub bin_value: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct External {
    pub ext_value: Option<String>,
}

#[derive(cynic::InlineFragments, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub enum Image {
    ImageData(ImageData),
    External(External),
    #[cynic(fallback)]
    Unknown,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Address {
    pub tags: Option<Vec<Option<AddressTags>>>,
    pub pobox: Option<String>,
    pub extadd: Option<String>,
    pub street: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub pcode: Option<String>,
    pub country: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Label {
    pub tags: Option<Vec<Option<AddressTags>>>,
    pub line: Option<Vec<Option<String>>>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Telephone {
    pub tags: Option<Vec<Option<TelephoneTags>>>,
    pub number: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Email {
    pub tags: Option<Vec<Option<EmailTags>>>,
    pub user_id: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct GeographicalPosition {
    pub lat: Option<String>,
    pub lon: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct AgentVcard {
    #[cynic(recurse = "2")]
    pub vcard: Option<Box<Vcard>>,
}

#[derive(cynic::InlineFragments, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub enum Agent {
    AgentVcard(AgentVcard),
    External(External),
    #[cynic(fallback)]
    Unknown,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Organization {
    pub orgname: Option<String>,
    pub orgunit: Option<Vec<Option<String>>>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Keyword {
    pub keyword: Option<Vec<Option<String>>>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Phonetic {
    pub phonetic: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct BinValue {
    pub bin_value: Option<String>,
}

#[derive(cynic::InlineFragments, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub enum Sound {
    Phonetic(Phonetic),
    BinValue(BinValue),
    External(External),
    #[cynic(fallback)]
    Unknown,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Privacy {
    pub tags: Option<Vec<Option<PrivacyClassificationTags>>>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Key {
    #[cynic(rename = "type")]
    pub type_: Option<String>,
    pub credential: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Vcard {
    pub formatted_name: Option<String>,
    pub name_components: Option<NameComponents>,
    pub nickname: Option<Vec<Option<String>>>,
    pub photo: Option<Vec<Option<Image>>>,
    pub birthday: Option<Vec<Option<String>>>,
    pub address: Option<Vec<Option<Address>>>,
    pub label: Option<Vec<Option<Label>>>,
    pub telephone: Option<Vec<Option<Telephone>>>,
    pub email: Option<Vec<Option<Email>>>,
    pub jabber_id: Option<Vec<Option<String>>>,
    pub mailer: Option<Vec<Option<String>>>,
    pub time_zone: Option<Vec<Option<String>>>,
    pub geo: Option<Vec<Option<GeographicalPosition>>>,
    pub title: Option<Vec<Option<String>>>,
    pub role: Option<Vec<Option<String>>>,
    pub logo: Option<Vec<Option<Image>>>,
    pub agent: Option<Vec<Option<Agent>>>,
    pub org: Option<Vec<Option<Organization>>>,
    pub categories: Option<Vec<Option<Keyword>>>,
    pub note: Option<Vec<Option<String>>>,
    pub prod_id: Option<Vec<Option<String>>>,
    pub rev: Option<Vec<Option<String>>>,
    pub sort_string: Option<Vec<Option<String>>>,
    pub sound: Option<Vec<Option<Sound>>>,
    pub uid: Option<Vec<Option<String>>>,
    pub url: Option<Vec<Option<String>>>,
    pub desc: Option<Vec<Option<String>>>,
    pub class: Option<Vec<Option<Privacy>>>,
    pub key: Option<Vec<Option<Key>>>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetVcardVars {
    pub user: Jid,
    pub vcard: VcardInput,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "VcardAdminMutation",
    variables = "SetVcardVars"
)]
pub struct VcardSetVcard {
    #[arguments(user: $user, vcard: $vcard)]
    pub set_vcard: Option<Vcard>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SetVcardVars"
)]
pub struct SetVcard {
    pub vcard: Option<VcardSetVcard>,
}

/// `setVcard` of `user`.
pub fn set_vcard(user: &str, vcard: VcardInput) -> cynic::Operation<SetVcard, SetVcardVars> {
    SetVcard::build(SetVcardVars {
        user: user.into(),
        vcard,
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetVcardVars {
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "VcardAdminQuery",
    variables = "GetVcardVars"
)]
pub struct VcardGetVcard {
    #[arguments(user: $user)]
    pub get_vcard: Option<Vcard>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "GetVcardVars"
)]
pub struct GetVcard {
    pub vcard: Option<VcardGetVcard>,
}

/// `getVcard` of `user`.
pub fn get_vcard(user: &str) -> cynic::Operation<GetVcard, GetVcardVars> {
    GetVcard::build(GetVcardVars { user: user.into() })
}
