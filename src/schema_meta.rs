//! Types of the static schema description that codegen emits (`generated::*::META`). Request
//! checks that must run before execution use it: which operation touches `@protected` types,
//! and which argument values to coerce against which custom scalar.

#[derive(Debug)]
pub enum TypeRef {
    Named(&'static str),
    List(&'static TypeRef),
    NonNull(&'static TypeRef),
}

#[derive(Debug)]
pub struct InputValueMeta {
    pub name: &'static str,
    pub ty: TypeRef,
    pub has_default: bool,
}

#[derive(Debug)]
pub struct FieldMeta {
    pub name: &'static str,
    /// The named type of the field's result, without list or non-null wrappers.
    pub ty: &'static str,
    /// The field's result type with its wrappers (field merging compares their shapes).
    pub result: TypeRef,
    pub protected: bool,
    /// Cost of selecting the field once (`@cost(weight:)` in the SDL, else 1).
    pub weight: u32,
    pub args: &'static [InputValueMeta],
}

#[derive(Debug)]
pub struct ObjectMeta {
    pub name: &'static str,
    pub protected: bool,
    pub fields: &'static [FieldMeta],
}

#[derive(Debug)]
pub struct InputMeta {
    pub name: &'static str,
    pub fields: &'static [InputValueMeta],
}

#[derive(Debug)]
pub struct EnumMeta {
    pub name: &'static str,
    pub values: &'static [&'static str],
}

/// All slices are sorted by name.
#[derive(Debug)]
pub struct SchemaMeta {
    pub query: &'static str,
    pub mutation: Option<&'static str>,
    pub subscription: Option<&'static str>,
    pub objects: &'static [ObjectMeta],
    pub inputs: &'static [InputMeta],
    pub enums: &'static [EnumMeta],
    pub scalars: &'static [&'static str],
}

impl SchemaMeta {
    pub fn object(&self, name: &str) -> Option<&'static ObjectMeta> {
        self.objects
            .binary_search_by(|o| o.name.cmp(name))
            .ok()
            .map(|i| &self.objects[i])
    }

    pub fn input(&self, name: &str) -> Option<&'static InputMeta> {
        self.inputs
            .binary_search_by(|o| o.name.cmp(name))
            .ok()
            .map(|i| &self.inputs[i])
    }

    pub fn enumeration(&self, name: &str) -> Option<&'static EnumMeta> {
        self.enums
            .binary_search_by(|e| e.name.cmp(name))
            .ok()
            .map(|i| &self.enums[i])
    }

    pub fn is_scalar(&self, name: &str) -> bool {
        self.scalars.binary_search(&name).is_ok()
    }
}

impl ObjectMeta {
    pub fn field(&self, name: &str) -> Option<&'static FieldMeta> {
        self.fields.iter().find(|f| f.name == name)
    }
}
