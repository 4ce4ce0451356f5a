//! Token generation: model → async-graphql types, resolver traits and glue.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::model::{ConstValue, FieldDef, InputValueDef, ObjectDef, Schema, TypeKind, TypeRef};
use crate::names::{snake, upper_camel};
use crate::{GenerateError, Options};

const BUILTIN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

fn path(s: &str) -> Result<syn::Path, GenerateError> {
    syn::parse_str(s).map_err(|e| GenerateError(format!("`{s}` is not a Rust path: {e}")))
}

fn doc(description: &Option<String>) -> TokenStream {
    match description {
        Some(d) => {
            let lines = d.lines().map(|l| format!(" {l}"));
            quote! { #( #[doc = #lines] )* }
        }
        None => quote! {},
    }
}

/// How a type reference is rendered in Rust.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Fields of data objects and input objects, arguments.
    Data,
    /// Resolver results: nullable list items are `Result<Option<T>>`, so a resolver can fail
    /// one item of a batch without failing the whole list.
    ResolverResult,
}

struct Gen<'a> {
    schema: &'a Schema,
    /// Object types whose fields are resolved by hand-written code (roots and categories).
    resolver_types: BTreeSet<String>,
}

impl<'a> Gen<'a> {
    fn new(schema: &'a Schema) -> Self {
        let mut resolver_types = BTreeSet::new();
        for root in [&schema.query, &schema.mutation].into_iter().flatten() {
            resolver_types.insert(root.clone());
            if let Some(o) = schema.object(root) {
                // A category: an object a root field returns that is protected, uses modules
                // or takes arguments. Other objects (`UserAuthInfo`) are plain data.
                for f in &o.fields {
                    if let Some(t) = schema.object(f.ty.base())
                        && (t.protected
                            || t.uses.is_some()
                            || t.fields
                                .iter()
                                .any(|f| !f.args.is_empty() || f.uses.is_some()))
                    {
                        resolver_types.insert(f.ty.base().to_string());
                    }
                }
            }
        }
        Gen {
            schema,
            resolver_types,
        }
    }

    fn rust_name(&self, gql: &str) -> TokenStream {
        match gql {
            "String" => quote!(String),
            "Int" => quote!(i32),
            "Float" => quote!(f64),
            "Boolean" => quote!(bool),
            "ID" => quote!(gql::ID),
            other => {
                let id = ident(&upper_camel(other));
                quote!(#id)
            }
        }
    }

    fn ty(&self, t: &TypeRef, pos: Position, boxed: bool) -> TokenStream {
        let (inner, nullable) = match t {
            TypeRef::NonNull(inner) => (&**inner, false),
            other => (other, true),
        };
        let base = match inner {
            TypeRef::Named(n) => {
                let n = self.rust_name(n);
                if boxed { quote!(Box<#n>) } else { n }
            }
            TypeRef::List(item) => {
                let item_ty = self.ty(item, pos, false);
                let item_nullable = !matches!(**item, TypeRef::NonNull(_));
                if pos == Position::ResolverResult && item_nullable {
                    quote!(Vec<Fallible<#item_ty>>)
                } else {
                    quote!(Vec<#item_ty>)
                }
            }
            TypeRef::NonNull(_) => unreachable!("non-null of non-null is rejected by the parser"),
        };
        if nullable {
            quote!(Option<#base>)
        } else {
            base
        }
    }

    /// Whether `field_ty`, used inside `owner`, must be boxed to keep the type finite (lists
    /// and union members are boxed already).
    fn needs_box(&self, owner: &str, field_ty: &TypeRef) -> bool {
        if field_ty.has_list() {
            return false;
        }
        let mut seen = BTreeSet::new();
        let mut stack = vec![field_ty.base().to_string()];
        while let Some(name) = stack.pop() {
            if name == owner {
                return true;
            }
            if !seen.insert(name.clone()) {
                continue;
            }
            let refs: Vec<&TypeRef> = match self.schema.types.get(&name).map(|t| &t.kind) {
                Some(TypeKind::Object(o)) => o.fields.iter().map(|f| &f.ty).collect(),
                Some(TypeKind::Input(fs)) => fs.iter().map(|f| &f.ty).collect(),
                _ => Vec::new(),
            };
            stack.extend(
                refs.into_iter()
                    .filter(|r| !r.has_list())
                    .map(|r| r.base().to_string()),
            );
        }
        false
    }

    fn value_tokens(&self, v: &ConstValue) -> TokenStream {
        match v {
            ConstValue::Null => quote!(gql::Value::Null),
            ConstValue::Int(i) => quote!(gql::Value::from(#i)),
            ConstValue::Float(f) => quote!(gql::Value::from(#f)),
            ConstValue::String(s) => quote!(gql::Value::from(#s)),
            ConstValue::Boolean(b) => quote!(gql::Value::from(#b)),
            ConstValue::Enum(e) => quote!(gql::Value::Enum(gql::Name::new(#e))),
            ConstValue::List(items) => {
                let items = items.iter().map(|i| self.value_tokens(i));
                quote!(gql::Value::List(vec![#(#items),*]))
            }
            ConstValue::Object(fields) => {
                let fields = fields.iter().map(|(k, v)| {
                    let v = self.value_tokens(v);
                    quote!((gql::Name::new(#k), #v))
                });
                quote!(gql::Value::Object([#(#fields),*].into_iter().collect()))
            }
        }
    }

    /// A function giving an argument's or input field's default, and its name.
    fn default_fn(
        &self,
        owner: &str,
        v: &InputValueDef,
    ) -> Result<Option<(Ident, TokenStream)>, GenerateError> {
        let Some(default) = &v.default else {
            return Ok(None);
        };
        let fn_name = format_ident!("default_{}_{}", snake(owner), snake(&v.name));
        let ty = self.ty(&v.ty, Position::Data, false);
        let nullable = !matches!(v.ty, TypeRef::NonNull(_));
        let body = match (&v.ty, default) {
            (TypeRef::NonNull(inner), ConstValue::Enum(value)) => {
                let enum_ty = self.rust_name(inner.base());
                let variant = ident(&upper_camel(value));
                quote!(#enum_ty::#variant)
            }
            _ if nullable => {
                let value = self.value_tokens(default);
                quote!(<#ty as gql::InputType>::parse(Some(#value)).ok().flatten())
            }
            (TypeRef::NonNull(inner), _)
                if BUILTIN_SCALARS.contains(&inner.base()) && !inner.has_list() =>
            {
                match default {
                    ConstValue::Int(i) => {
                        let i = *i as i32;
                        quote!(#i)
                    }
                    ConstValue::Float(f) => quote!(#f),
                    ConstValue::Boolean(b) => quote!(#b),
                    ConstValue::String(s) => quote!(#s.to_string()),
                    _ => return Err(GenerateError(format!("{owner}.{}: bad default", v.name))),
                }
            }
            _ => {
                return Err(GenerateError(format!(
                    "{owner}.{}: a default on a non-null custom type is not supported",
                    v.name
                )));
            }
        };
        let doc = format!(" Default of `{owner}.{}`.", v.name);
        Ok(Some((
            fn_name.clone(),
            quote! {
                #[doc = #doc]
                fn #fn_name() -> #ty { #body }
            },
        )))
    }

    fn enums(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for t in self.schema.types.values() {
            let TypeKind::Enum(values) = &t.kind else {
                continue;
            };
            let name = &t.name;
            let id = ident(&upper_camel(name));
            let d = doc(&t.description);
            let variants = values.iter().map(|v| {
                let vd = doc(&v.description);
                let vid = ident(&upper_camel(&v.name));
                let vname = &v.name;
                quote! { #vd #[graphql(name = #vname)] #vid, }
            });
            out.extend(quote! {
                #d
                #[derive(gql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
                #[graphql(name = #name)]
                pub enum #id { #(#variants)* }
            });
        }
        out
    }

    fn inputs(&self) -> Result<TokenStream, GenerateError> {
        let mut out = TokenStream::new();
        for t in self.schema.types.values() {
            let TypeKind::Input(fields) = &t.kind else {
                continue;
            };
            let name = &t.name;
            let id = ident(&upper_camel(name));
            let d = doc(&t.description);
            let mut defaults = TokenStream::new();
            let mut fs = Vec::new();
            for f in fields {
                let fd = doc(&f.description);
                let fid = ident(&snake(&f.name));
                let fname = &f.name;
                let ty = self.ty(&f.ty, Position::Data, self.needs_box(name, &f.ty));
                let attr = match self.default_fn(name, f)? {
                    Some((fn_name, body)) => {
                        defaults.extend(body);
                        let fn_name = fn_name.to_string() + "()";
                        quote!(#[graphql(name = #fname, default_with = #fn_name)])
                    }
                    None => quote!(#[graphql(name = #fname)]),
                };
                fs.push(quote! { #fd #attr pub #fid: #ty, });
            }
            out.extend(quote! {
                #d
                #[derive(gql::InputObject, Clone, Debug)]
                #[graphql(name = #name)]
                pub struct #id { #(#fs)* }
                #defaults
            });
        }
        Ok(out)
    }

    fn data_objects(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for t in self.schema.types.values() {
            let TypeKind::Object(o) = &t.kind else {
                continue;
            };
            if self.resolver_types.contains(&t.name) || self.is_subscription_root(&t.name) {
                continue;
            }
            let name = &t.name;
            let id = ident(&upper_camel(name));
            let d = doc(&t.description);
            // An object with a field with arguments (a subscription event's, whose stream the
            // root resolver opened from them) is a plain struct with one glue method per
            // field; the arguments are declared, and ignored there.
            let with_args = o.fields.iter().any(|f| !f.args.is_empty());
            let mut fs = Vec::new();
            let mut methods = Vec::new();
            for f in &o.fields {
                let fd = doc(&f.description);
                let fid = ident(&snake(&f.name));
                let fname = &f.name;
                let ty = self.ty(&f.ty, Position::Data, self.needs_box(name, &f.ty));
                if !with_args {
                    fs.push(quote! { #fd #[graphql(name = #fname)] pub #fid: #ty, });
                    continue;
                }
                let args = f.args.iter().map(|a| {
                    let aid = format_ident!("_{}", snake(&a.name));
                    let aname = &a.name;
                    let aty = self.ty(&a.ty, Position::Data, false);
                    quote!(#[graphql(name = #aname)] #aid: #aty)
                });
                methods.push(quote! {
                    #fd
                    #[graphql(name = #fname)]
                    async fn #fid(&self, #(#args),*) -> #ty { self.#fid.clone() }
                });
                fs.push(quote! { #fd pub #fid: #ty, });
            }
            if with_args {
                out.extend(quote! {
                    #d
                    #[derive(Clone, Debug)]
                    pub struct #id { #(#fs)* }
                    #d
                    #[gql::Object(name = #name)]
                    impl #id { #(#methods)* }
                });
            } else {
                out.extend(quote! {
                    #d
                    #[derive(gql::SimpleObject, Clone, Debug)]
                    #[graphql(name = #name)]
                    pub struct #id { #(#fs)* }
                });
            }
        }
        out
    }

    fn unions(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for t in self.schema.types.values() {
            let TypeKind::Union(members) = &t.kind else {
                continue;
            };
            let name = &t.name;
            let id = ident(&upper_camel(name));
            let d = doc(&t.description);
            // Members are boxed: they differ widely in size (a whole vCard next to a URL).
            let vs = members.iter().map(|m| {
                let mid = ident(&upper_camel(m));
                quote!(#mid(Box<#mid>),)
            });
            out.extend(quote! {
                #d
                #[derive(gql::Union, Clone, Debug)]
                #[graphql(name = #name)]
                pub enum #id { #(#vs)* }
            });
        }
        out
    }

    fn is_subscription_root(&self, name: &str) -> bool {
        self.schema.subscription.as_deref() == Some(name)
    }

    fn is_protected_type(&self, name: &str) -> bool {
        self.schema.object(name).is_some_and(|o| o.protected)
    }

    /// A field of a resolver type with no arguments that returns another resolver type is pure
    /// glue: it only opens the namespace.
    fn is_namespace(&self, f: &FieldDef) -> bool {
        f.args.is_empty() && self.resolver_types.contains(f.ty.base())
    }

    /// The checks the glue runs before calling a resolver.
    fn hooks(&self, owner: &ObjectDef, f: &FieldDef) -> TokenStream {
        let mut out = TokenStream::new();
        if owner.protected || f.protected || self.is_protected_type(f.ty.base()) {
            out.extend(quote!(SchemaHooks::require_auth(api, ctx)?;));
        }
        if let Some(u) = &f.uses {
            let modules: Vec<&String> = owner
                .uses
                .iter()
                .flat_map(|o| o.modules.iter())
                .chain(u.modules.iter())
                .collect();
            let arg = match u
                .arg
                .as_ref()
                .and_then(|a| f.args.iter().find(|x| &x.name == a))
            {
                Some(a) => {
                    let aid = ident(&snake(&a.name));
                    let ty = self.ty(&a.ty, Position::Data, false);
                    quote!(Some(<#ty as gql::InputType>::to_value(&#aid)))
                }
                None => quote!(None),
            };
            out.extend(quote!(SchemaHooks::require_modules(api, ctx, &[#(#modules),*], #arg)?;));
        }
        out
    }

    /// The glue's return type and body around `inner` (a block yielding `gql::Result<ty>`).
    /// A nullable field reports its error and answers null itself, so that the error does not
    /// null the enclosing object; a non-null field lets it propagate, as GraphQL requires.
    fn wrap_nullable(
        &self,
        field_ty: &TypeRef,
        ty: &TokenStream,
        inner: TokenStream,
    ) -> (TokenStream, TokenStream) {
        if matches!(field_ty, TypeRef::NonNull(_)) {
            (quote!(gql::Result<#ty>), inner)
        } else {
            let run = quote!(async { #inner }.await);
            (quote!(#ty), quote!(nullable(ctx, #run)))
        }
    }

    fn resolver_types(&self, implementor: &syn::Path) -> Result<TokenStream, GenerateError> {
        let mut out = TokenStream::new();
        for name in &self.resolver_types {
            let o = self
                .schema
                .object(name)
                .ok_or_else(|| GenerateError(format!("{name} is not an object")))?;
            let t = &self.schema.types[name];
            let id = ident(&upper_camel(name));
            let trait_id = format_ident!("{}Resolver", upper_camel(name));
            let d = doc(&t.description);
            let mut trait_methods = Vec::new();
            let mut glue = Vec::new();
            let mut defaults = TokenStream::new();
            for f in &o.fields {
                let fd = doc(&f.description);
                let fid = ident(&snake(&f.name));
                let fname = &f.name;
                let hooks = self.hooks(o, f);
                if self.is_namespace(f) {
                    let ty = self.ty(&f.ty, Position::Data, false);
                    let ns = ident(&upper_camel(f.ty.base()));
                    let value = if matches!(f.ty, TypeRef::NonNull(_)) {
                        quote!(#ns)
                    } else {
                        quote!(Some(#ns))
                    };
                    let body = if hooks.is_empty() {
                        quote! {
                            #fd
                            #[graphql(name = #fname)]
                            async fn #fid(&self) -> #ty { #value }
                        }
                    } else {
                        let inner = quote! {
                            let api = ctx.data::<#implementor>()?;
                            #hooks
                            Ok(#value)
                        };
                        let (ret, body) = self.wrap_nullable(&f.ty, &ty, inner);
                        quote! {
                            #fd
                            #[graphql(name = #fname)]
                            async fn #fid(&self, ctx: &gql::Context<'_>) -> #ret { #body }
                        }
                    };
                    glue.push(body);
                    continue;
                }
                let ret = self.ty(&f.ty, Position::ResolverResult, false);
                let mut params = Vec::new();
                let mut param_names = Vec::new();
                let mut glue_params = Vec::new();
                let mut apply_defaults = TokenStream::new();
                for a in &f.args {
                    let aid = ident(&snake(&a.name));
                    let aname = &a.name;
                    let ty = self.ty(&a.ty, Position::Data, false);
                    let ad = a.description.as_deref().unwrap_or_default();
                    let desc = if ad.is_empty() {
                        quote!()
                    } else {
                        quote!(, desc = #ad)
                    };
                    match self.default_fn(&format!("{name}_{}", f.name), a)? {
                        Some((fn_name, body)) => {
                            defaults.extend(body);
                            let with = fn_name.to_string() + "()";
                            glue_params.push(quote! {
                                #[graphql(name = #aname, default_with = #with #desc)] #aid: #ty
                            });
                            if !matches!(a.ty, TypeRef::NonNull(_)) {
                                // An explicit null means the default, as in the reference.
                                apply_defaults.extend(quote!(let #aid = #aid.or_else(#fn_name);));
                            }
                        }
                        None => glue_params.push(quote!(#[graphql(name = #aname #desc)] #aid: #ty)),
                    }
                    params.push(quote!(#aid: #ty));
                    param_names.push(aid);
                }
                trait_methods.push(quote! {
                    #fd
                    fn #fid(&self, ctx: &gql::Context<'_>, #(#params),*)
                        -> impl std::future::Future<Output = gql::Result<#ret>> + Send;
                });
                let inner = quote! {
                    let api = ctx.data::<#implementor>()?;
                    #hooks
                    #apply_defaults
                    #trait_id::#fid(api, ctx, #(#param_names),*).await
                };
                let (glue_ret, body) = self.wrap_nullable(&f.ty, &ret, inner);
                glue.push(quote! {
                    #fd
                    #[graphql(name = #fname)]
                    async fn #fid(&self, ctx: &gql::Context<'_>, #(#glue_params),*) -> #glue_ret {
                        #body
                    }
                });
            }
            let trait_doc = format!(" Resolvers of `{name}`: one method per field that needs one.");
            let trait_def = if trait_methods.is_empty() {
                quote!()
            } else {
                quote! {
                    #[doc = #trait_doc]
                    pub trait #trait_id: Send + Sync + 'static { #(#trait_methods)* }
                }
            };
            out.extend(quote! {
                #trait_def
                #d
                #[derive(Clone, Copy, Debug, Default)]
                pub struct #id;
                #d
                #[gql::Object(name = #name)]
                impl #id { #(#glue)* }
                #defaults
            });
        }
        Ok(out)
    }

    fn subscription(&self, implementor: &syn::Path) -> Result<TokenStream, GenerateError> {
        let Some(name) = &self.schema.subscription else {
            return Ok(TokenStream::new());
        };
        let o = self
            .schema
            .object(name)
            .ok_or_else(|| GenerateError(format!("{name} is not an object")))?;
        let t = &self.schema.types[name];
        let id = ident(&upper_camel(name));
        let trait_id = format_ident!("{}Resolver", upper_camel(name));
        let d = doc(&t.description);
        let mut methods = Vec::new();
        let mut glue = Vec::new();
        for f in &o.fields {
            if !f.args.is_empty() {
                return Err(GenerateError(format!(
                    "{name}.{}: subscription fields with arguments are not supported",
                    f.name
                )));
            }
            let fd = doc(&f.description);
            let fid = ident(&snake(&f.name));
            let fname = &f.name;
            let item = self.ty(&f.ty, Position::Data, false);
            let hooks = self.hooks(o, f);
            methods.push(quote! {
                #fd
                fn #fid(&self, ctx: &gql::Context<'_>)
                    -> impl std::future::Future<Output = gql::Result<EventStream<#item>>> + Send;
            });
            glue.push(quote! {
                #fd
                #[graphql(name = #fname)]
                async fn #fid(&self, ctx: &gql::Context<'_>) -> gql::Result<EventStream<#item>> {
                    let api = ctx.data::<#implementor>()?;
                    #hooks
                    // Boxed: async-graphql keeps this future's space in the subscription's
                    // stream for as long as it lives; boxed, that space is freed once it opens.
                    Box::pin(#trait_id::#fid(api, ctx)).await
                }
            });
        }
        let trait_doc = format!(" Resolvers of `{name}`: each opens a stream of events.");
        Ok(quote! {
            /// A stream of subscription events; an `Err` item ends up in the event's `errors`.
            pub type EventStream<T> = std::pin::Pin<
                Box<dyn gql::futures_util::Stream<Item = gql::Result<T>> + Send + 'static>,
            >;
            #[doc = #trait_doc]
            pub trait #trait_id: Send + Sync + 'static { #(#methods)* }
            #d
            #[derive(Clone, Copy, Debug, Default)]
            pub struct #id;
            #d
            #[gql::Subscription(name = #name)]
            impl #id { #(#glue)* }
        })
    }

    fn schema_alias(&self) -> TokenStream {
        let q = ident(&upper_camel(
            self.schema.query.as_deref().unwrap_or("Query"),
        ));
        let m = match &self.schema.mutation {
            Some(m) => {
                let m = ident(&upper_camel(m));
                quote!(#m)
            }
            None => quote!(gql::EmptyMutation),
        };
        let s = match &self.schema.subscription {
            Some(s) => {
                let s = ident(&upper_camel(s));
                quote!(#s)
            }
            None => quote!(gql::EmptySubscription),
        };
        quote! {
            /// The executable schema.
            pub type Schema = gql::Schema<#q, #m, #s>;
            /// A schema builder with the root objects in place; add data, limits and extensions.
            pub fn schema_builder() -> gql::SchemaBuilder<#q, #m, #s> {
                gql::Schema::build(#q, #m, #s)
            }
        }
    }

    fn type_ref_meta(&self, meta: &syn::Path, t: &TypeRef) -> TokenStream {
        match t {
            TypeRef::Named(n) => quote!(#meta::TypeRef::Named(#n)),
            TypeRef::List(i) => {
                let i = self.type_ref_meta(meta, i);
                quote!(#meta::TypeRef::List(&#i))
            }
            TypeRef::NonNull(i) => {
                let i = self.type_ref_meta(meta, i);
                quote!(#meta::TypeRef::NonNull(&#i))
            }
        }
    }

    fn args_meta(&self, meta: &syn::Path, args: &[InputValueDef]) -> TokenStream {
        let args = args.iter().map(|a| {
            let n = &a.name;
            let ty = self.type_ref_meta(meta, &a.ty);
            let has_default = a.default.is_some();
            quote!(#meta::InputValueMeta { name: #n, ty: #ty, has_default: #has_default })
        });
        quote!(&[#(#args),*])
    }

    /// Static description of the schema for request checks that run before execution
    /// (authorization of the selected operation, scalar coercion with exact messages).
    fn meta(&self, meta: &syn::Path) -> TokenStream {
        let q = self.schema.query.as_deref().unwrap_or_default();
        let opt = |o: &Option<String>| match o {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        let m = opt(&self.schema.mutation);
        let s = opt(&self.schema.subscription);
        let mut objects = Vec::new();
        let mut inputs = Vec::new();
        let mut scalars = Vec::new();
        let mut enums = Vec::new();
        for t in self.schema.types.values() {
            let n = &t.name;
            match &t.kind {
                TypeKind::Object(o) => {
                    let p = o.protected;
                    let fields = o.fields.iter().map(|f| {
                        let fname = &f.name;
                        let ty = f.ty.base();
                        let result = self.type_ref_meta(meta, &f.ty);
                        let fp = f.protected;
                        let weight = f.weight;
                        let args = self.args_meta(meta, &f.args);
                        quote!(#meta::FieldMeta { name: #fname, ty: #ty, result: #result, protected: #fp, weight: #weight, args: #args })
                    });
                    objects.push(quote!(#meta::ObjectMeta { name: #n, protected: #p, fields: &[#(#fields),*] }));
                }
                TypeKind::Input(fields) => {
                    let fields = self.args_meta(meta, fields);
                    inputs.push(quote!(#meta::InputMeta { name: #n, fields: #fields }));
                }
                TypeKind::Scalar => scalars.push(quote!(#n)),
                TypeKind::Enum(values) => {
                    let values = values.iter().map(|v| &v.name);
                    enums.push(quote!(#meta::EnumMeta { name: #n, values: &[#(#values),*] }));
                }
                TypeKind::Union(_) => {}
            }
        }
        quote! {
            /// What request checks need to know about this schema; sorted by name.
            pub static META: #meta::SchemaMeta = #meta::SchemaMeta {
                query: #q,
                mutation: #m,
                subscription: #s,
                objects: &[#(#objects),*],
                inputs: &[#(#inputs),*],
                enums: &[#(#enums),*],
                scalars: &[#(#scalars),*],
            };
        }
    }
}

fn hooks_trait() -> TokenStream {
    quote! {
        /// Checks the glue runs before a resolver. Implemented by the resolver type, so that
        /// authorization and module availability stay in hand-written code.
        /// Ends a nullable field: on error the field is null and the error is listed with the
        /// field's path.
        fn nullable<T>(ctx: &gql::Context<'_>, result: gql::Result<Option<T>>) -> Option<T> {
            match result {
                Ok(value) => value,
                Err(e) => {
                    ctx.add_error(ctx.set_error_path(e.into_server_error(ctx.item.pos)));
                    None
                }
            }
        }

        /// One item of a list whose items may fail alone (`[String]!` of a batch mutation):
        /// an error makes that item null and is listed with the item's path.
        #[derive(Clone, Debug)]
        pub struct Fallible<T>(pub gql::Result<T>);

        impl<T> From<gql::Result<T>> for Fallible<T> {
            fn from(result: gql::Result<T>) -> Self {
                Fallible(result)
            }
        }

        impl<T: gql::OutputType> gql::OutputType for Fallible<Option<T>> {
            fn type_name() -> std::borrow::Cow<'static, str> {
                <Option<T> as gql::OutputType>::type_name()
            }
            fn qualified_type_name() -> String {
                <Option<T> as gql::OutputType>::qualified_type_name()
            }
            fn create_type_info(registry: &mut gql::registry::Registry) -> String {
                <Option<T> as gql::OutputType>::create_type_info(registry)
            }
            async fn resolve(
                &self,
                ctx: &gql::ContextSelectionSet<'_>,
                field: &gql::Positioned<gql::parser::types::Field>,
            ) -> gql::ServerResult<gql::Value> {
                match &self.0 {
                    Ok(value) => value.resolve(ctx, field).await,
                    Err(e) => {
                        ctx.add_error(ctx.set_error_path(e.clone().into_server_error(field.pos)));
                        Ok(gql::Value::Null)
                    }
                }
            }
        }

        pub trait SchemaHooks: Send + Sync + 'static {
            /// Runs before every field of a `@protected` type, or returning one.
            fn require_auth(&self, ctx: &gql::Context<'_>) -> gql::Result<()>;
            /// Runs before every field with `@use`; `arg` is the value of the argument that
            /// `@use(arg:)` names, if any.
            fn require_modules(
                &self,
                ctx: &gql::Context<'_>,
                modules: &[&str],
                arg: Option<gql::Value>,
            ) -> gql::Result<()>;
        }

    }
}

/// Types, resolver traits, glue and metadata of one API schema.
pub fn api(schema: &Schema, options: &Options) -> Result<TokenStream, GenerateError> {
    let g = Gen::new(schema);
    let implementor = path(&options.implementor)?;
    let scalars_import = match &options.scalars_module {
        Some(m) => {
            let m = path(m)?;
            quote!(pub use #m::*;)
        }
        None => quote!(),
    };
    let enums = g.enums();
    let inputs = g.inputs()?;
    let objects = g.data_objects();
    let unions = g.unions();
    let resolvers = g.resolver_types(&implementor)?;
    let subscription = g.subscription(&implementor)?;
    let alias = g.schema_alias();
    let hooks = hooks_trait();
    let meta = match &options.meta_module {
        Some(m) => g.meta(&path(m)?),
        None => quote!(),
    };
    Ok(quote! {
        use async_graphql as gql;
        #scalars_import
        #hooks
        #enums
        #inputs
        #objects
        #unions
        #resolvers
        #subscription
        #alias
        #meta
    })
}

/// Newtypes for the custom scalars, with one codec trait each that hand-written code implements.
pub fn scalars(schema: &Schema, codecs: &str) -> Result<TokenStream, GenerateError> {
    let codecs = path(codecs)?;
    let mut out = TokenStream::new();
    let mut checks = Vec::new();
    for t in schema.types.values() {
        if !matches!(t.kind, TypeKind::Scalar) {
            continue;
        }
        let name = &t.name;
        let id = ident(&upper_camel(name));
        let codec = format_ident!("{}Codec", upper_camel(name));
        let d = doc(&t.description);
        let codec_doc = format!(" Parsing and rendering of the `{name}` scalar.");
        out.extend(quote! {
            #[doc = #codec_doc]
            pub trait #codec {
                /// The parsed, normalised value.
                type Repr: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static;
                /// Parses an input value; the error is the reason shown to the client.
                fn parse(value: &gql::Value) -> Result<Self::Repr, String>;
                /// Renders a value for output.
                fn to_value(repr: &Self::Repr) -> gql::Value;
            }
            #d
            #[derive(Clone, Debug, PartialEq)]
            pub struct #id(pub <#codecs as #codec>::Repr);
            // No `is_valid`: the request pipeline checks every argument against its scalar,
            // with the reference's messages, before validation; the validator would only parse
            // the same values a second time.
            #[gql::Scalar(name = #name)]
            impl gql::ScalarType for #id {
                fn parse(value: gql::Value) -> gql::InputValueResult<Self> {
                    <#codecs as #codec>::parse(&value).map(#id).map_err(gql::InputValueError::custom)
                }
                fn to_value(&self) -> gql::Value {
                    <#codecs as #codec>::to_value(&self.0)
                }
            }
        });
        checks.push(quote!(#name => Some(<#codecs as #codec>::parse(value).map(drop)),));
    }
    Ok(quote! {
        use async_graphql as gql;
        #out
        /// Checks a value against the named custom scalar; `None` for other type names.
        pub fn check_scalar(name: &str, value: &gql::Value) -> Option<Result<(), String>> {
            match name {
                #(#checks)*
                _ => None,
            }
        }
    })
}
