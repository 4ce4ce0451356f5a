//! A small owned model of the SDL, independent of graphql-parser's AST.
//!
//! Only what the generator needs is kept: definitions in a stable (sorted) order, the
//! `@protected`, `@use` and `@cost` directives, descriptions and argument defaults.

use std::collections::BTreeMap;

use graphql_parser::schema as ast;

/// A GraphQL type reference (`[JID!]!` and so on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    /// The named type at the bottom of the wrappers.
    pub fn base(&self) -> &str {
        match self {
            TypeRef::Named(n) => n,
            TypeRef::List(t) | TypeRef::NonNull(t) => t.base(),
        }
    }

    /// Whether a list wrapper stands between this reference and its named type.
    pub fn has_list(&self) -> bool {
        match self {
            TypeRef::Named(_) => false,
            TypeRef::List(_) => true,
            TypeRef::NonNull(t) => t.has_list(),
        }
    }
}

/// A constant value, as found in argument defaults and directive arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstValue {
    Null,
    Int(i64),
    Float(f64),
    String(String),
    Boolean(bool),
    Enum(String),
    List(Vec<ConstValue>),
    Object(Vec<(String, ConstValue)>),
}

/// `@use(modules: [...], arg: "...")`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UseDirective {
    pub modules: Vec<String>,
    pub arg: Option<String>,
}

#[derive(Clone, Debug)]
pub struct InputValueDef {
    pub name: String,
    pub description: Option<String>,
    pub ty: TypeRef,
    pub default: Option<ConstValue>,
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: String,
    pub description: Option<String>,
    pub args: Vec<InputValueDef>,
    pub ty: TypeRef,
    pub protected: bool,
    pub uses: Option<UseDirective>,
    /// `@cost(weight: N)`: the field's weight in the request cost bound (1 without it).
    pub weight: u32,
}

#[derive(Clone, Debug)]
pub struct ObjectDef {
    pub fields: Vec<FieldDef>,
    pub protected: bool,
    pub uses: Option<UseDirective>,
}

#[derive(Clone, Debug)]
pub struct EnumValueDef {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Clone, Debug)]
pub enum TypeKind {
    Scalar,
    Object(ObjectDef),
    Input(Vec<InputValueDef>),
    Enum(Vec<EnumValueDef>),
    Union(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct TypeDef {
    pub name: String,
    pub description: Option<String>,
    pub kind: TypeKind,
}

/// The whole schema: root operation types and every named type, sorted by name.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub query: Option<String>,
    pub mutation: Option<String>,
    pub subscription: Option<String>,
    pub types: BTreeMap<String, TypeDef>,
}

/// Errors found while loading SDL documents.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

impl Schema {
    /// Adds one SDL document (one file) to the schema.
    pub fn add_document(&mut self, origin: &str, sdl: &str) -> Result<(), LoadError> {
        let doc =
            ast::parse_schema::<String>(sdl).map_err(|e| LoadError(format!("{origin}: {e}")))?;
        for def in doc.definitions {
            match def {
                ast::Definition::SchemaDefinition(s) => {
                    self.query = s.query.or(self.query.take());
                    self.mutation = s.mutation.or(self.mutation.take());
                    self.subscription = s.subscription.or(self.subscription.take());
                }
                ast::Definition::TypeDefinition(t) => {
                    let def = convert_type(t);
                    if self.types.contains_key(&def.name) {
                        return Err(LoadError(format!(
                            "{origin}: type {} is defined twice",
                            def.name
                        )));
                    }
                    self.types.insert(def.name.clone(), def);
                }
                ast::Definition::DirectiveDefinition(_) => {}
                ast::Definition::TypeExtension(_) => {
                    return Err(LoadError(format!(
                        "{origin}: type extensions are not supported"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Checks that every referenced type is defined and that `@use(arg:)` names an argument.
    pub fn check(&self) -> Result<(), LoadError> {
        let known = |n: &str| {
            matches!(n, "String" | "Int" | "Float" | "Boolean" | "ID") || self.types.contains_key(n)
        };
        for root in [&self.query, &self.mutation, &self.subscription]
            .into_iter()
            .flatten()
        {
            if !matches!(
                self.types.get(root).map(|t| &t.kind),
                Some(TypeKind::Object(_))
            ) {
                return Err(LoadError(format!("root type {root} is not an object type")));
            }
        }
        if self.query.is_none() {
            return Err(LoadError("the schema has no query root".into()));
        }
        for t in self.types.values() {
            let refs: Vec<(&str, &TypeRef)> = match &t.kind {
                TypeKind::Object(o) => o
                    .fields
                    .iter()
                    .flat_map(|f| {
                        std::iter::once((f.name.as_str(), &f.ty))
                            .chain(f.args.iter().map(|a| (a.name.as_str(), &a.ty)))
                    })
                    .collect(),
                TypeKind::Input(fields) => {
                    fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect()
                }
                _ => Vec::new(),
            };
            for (what, r) in refs {
                if !known(r.base()) {
                    return Err(LoadError(format!(
                        "{}.{what} refers to unknown type {}",
                        t.name,
                        r.base()
                    )));
                }
            }
            if let TypeKind::Object(o) = &t.kind {
                for f in &o.fields {
                    if let Some(arg) = f.uses.as_ref().and_then(|u| u.arg.as_ref())
                        && !f.args.iter().any(|a| &a.name == arg)
                    {
                        return Err(LoadError(format!(
                            "{}.{}: @use(arg: \"{arg}\") names no argument",
                            t.name, f.name
                        )));
                    }
                }
            }
            if let TypeKind::Union(members) = &t.kind {
                for m in members {
                    if !matches!(
                        self.types.get(m).map(|t| &t.kind),
                        Some(TypeKind::Object(_))
                    ) {
                        return Err(LoadError(format!(
                            "union {} has member {m} that is not an object type",
                            t.name
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn object(&self, name: &str) -> Option<&ObjectDef> {
        match self.types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Object(o)) => Some(o),
            _ => None,
        }
    }
}

fn convert_type(t: ast::TypeDefinition<'_, String>) -> TypeDef {
    match t {
        ast::TypeDefinition::Scalar(s) => TypeDef {
            name: s.name,
            description: s.description,
            kind: TypeKind::Scalar,
        },
        ast::TypeDefinition::Object(o) => TypeDef {
            name: o.name,
            description: o.description,
            kind: TypeKind::Object(ObjectDef {
                protected: has_directive(&o.directives, "protected"),
                uses: use_directive(&o.directives),
                fields: o
                    .fields
                    .into_iter()
                    .map(|f| FieldDef {
                        protected: has_directive(&f.directives, "protected"),
                        uses: use_directive(&f.directives),
                        weight: cost_directive(&f.directives),
                        name: f.name,
                        description: f.description,
                        args: f.arguments.into_iter().map(convert_input_value).collect(),
                        ty: convert_type_ref(f.field_type),
                    })
                    .collect(),
            }),
        },
        ast::TypeDefinition::Interface(i) => TypeDef {
            // The schema has no interfaces; treat one as an object so `check` can report it.
            name: i.name,
            description: i.description,
            kind: TypeKind::Union(Vec::new()),
        },
        ast::TypeDefinition::Union(u) => TypeDef {
            name: u.name,
            description: u.description,
            kind: TypeKind::Union(u.types),
        },
        ast::TypeDefinition::Enum(e) => TypeDef {
            name: e.name,
            description: e.description,
            kind: TypeKind::Enum(
                e.values
                    .into_iter()
                    .map(|v| EnumValueDef {
                        name: v.name,
                        description: v.description,
                    })
                    .collect(),
            ),
        },
        ast::TypeDefinition::InputObject(i) => TypeDef {
            name: i.name,
            description: i.description,
            kind: TypeKind::Input(i.fields.into_iter().map(convert_input_value).collect()),
        },
    }
}

fn convert_input_value(v: ast::InputValue<'_, String>) -> InputValueDef {
    InputValueDef {
        name: v.name,
        description: v.description,
        ty: convert_type_ref(v.value_type),
        default: v.default_value.map(convert_value),
    }
}

fn convert_type_ref(t: ast::Type<'_, String>) -> TypeRef {
    match t {
        ast::Type::NamedType(n) => TypeRef::Named(n),
        ast::Type::ListType(t) => TypeRef::List(Box::new(convert_type_ref(*t))),
        ast::Type::NonNullType(t) => TypeRef::NonNull(Box::new(convert_type_ref(*t))),
    }
}

fn convert_value(v: ast::Value<'_, String>) -> ConstValue {
    match v {
        ast::Value::Variable(_) | ast::Value::Null => ConstValue::Null,
        ast::Value::Int(i) => ConstValue::Int(i.as_i64().unwrap_or_default()),
        ast::Value::Float(f) => ConstValue::Float(f),
        ast::Value::String(s) => ConstValue::String(s),
        ast::Value::Boolean(b) => ConstValue::Boolean(b),
        ast::Value::Enum(e) => ConstValue::Enum(e),
        ast::Value::List(l) => ConstValue::List(l.into_iter().map(convert_value).collect()),
        ast::Value::Object(o) => {
            ConstValue::Object(o.into_iter().map(|(k, v)| (k, convert_value(v))).collect())
        }
    }
}

fn has_directive(ds: &[ast::Directive<'_, String>], name: &str) -> bool {
    ds.iter().any(|d| d.name == name)
}

/// The weight of `@cost(weight: N)`; 1 when absent. At least 1: the cost floor computed from a
/// document's tokens before parsing (src/pipeline/floor.rs) counts every field as 1.
fn cost_directive(ds: &[ast::Directive<'_, String>]) -> u32 {
    ds.iter()
        .filter(|d| d.name == "cost")
        .flat_map(|d| &d.arguments)
        .find_map(|(k, v)| match (k.as_str(), v) {
            ("weight", ast::Value::Int(n)) => n.as_i64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        })
        .unwrap_or(1)
        .max(1)
}

fn use_directive(ds: &[ast::Directive<'_, String>]) -> Option<UseDirective> {
    let d = ds.iter().find(|d| d.name == "use")?;
    let mut u = UseDirective::default();
    for (k, v) in &d.arguments {
        match (k.as_str(), v) {
            ("modules", ast::Value::List(items)) => {
                u.modules = items
                    .iter()
                    .filter_map(|i| match i {
                        ast::Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
            }
            ("arg", ast::Value::String(s)) => u.arg = Some(s.clone()),
            _ => {}
        }
    }
    Some(u)
}
