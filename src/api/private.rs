//! `private`: the caller's XEP-0049 private XML storage.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::generated::user::*;

/// A conservative XML name check (no prefix, which would need a declaration): the element is
/// only built from it when nothing is stored.
fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl PrivateUserMutationResolver for UserApi {
    async fn set_private(
        &self,
        ctx: &Context<'_>,
        element_string: XmlElement,
    ) -> Result<Option<XmlElement>> {
        let user = caller(ctx)?;
        let el = element_string.0;
        self.state
            .private
            .set(user, &el)
            .await
            .map_err(|e| codes::private(e, user, &[("element", el.to_string())]))?;
        Ok(Some(XmlElement(el)))
    }
}

impl PrivateUserQueryResolver for UserApi {
    async fn get_private(
        &self,
        ctx: &Context<'_>,
        element: String,
        name_space: NonEmptyString,
    ) -> Result<Option<XmlElement>> {
        let user = caller(ctx)?;
        let ns = name_space.0;
        let stored = self.state.private.get(user, &ns).await.map_err(|e| {
            codes::private(
                e,
                user,
                &[("element", element.clone()), ("subElement", ns.clone())],
            )
        })?;
        match stored {
            Some(el) => Ok(Some(XmlElement(el))),
            // Nothing stored: the empty request element, as the reference answers.
            None if is_xml_name(&element) => Ok(Some(XmlElement(
                crate::xml::Element::new(element).with_attr("xmlns", ns),
            ))),
            None => Err(codes::invalid_element(user, &element, &ns).into()),
        }
    }
}
