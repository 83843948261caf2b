//! The root listing of each type of the one query model: `xs(filter, orderBy, first,
//! after, last, before)` and `xsAggregate(filter)`, declared once for every type.

/// Declares `$root`, a query object with the listing `$list` of `$node`s and its
/// aggregates `$aggregate`, over filter `$filter` and fields `$field` (ordered by
/// `$order`), each made by `$node(model)` (or by `$ctor` after `via`); `$name` names the
/// aggregate object. `visible`, when given, is an async function of the request that
/// returns the condition on the rows the caller may see beyond tenancy (a user's own
/// audit events).
#[macro_export]
macro_rules! listing {
    (
        $root:ident, $node:ident $(via $ctor:path)?, $filter:ty, $field:ty, $order:ty, $name:literal,
        $(#[$list_doc:meta])* $list:ident,
        $(#[$agg_doc:meta])* $aggregate:ident
        $(, visible = $visible:path)? $(,)?
    ) => {
        #[derive(Default)]
        pub struct $root;

        #[async_graphql::Object]
        impl $root {
            $(#[$list_doc])*
            #[graphql(complexity = "crate::graphql::pagination::cost(first, last, child_complexity)")]
            #[allow(clippy::too_many_arguments)]
            async fn $list(
                &self,
                ctx: &async_graphql::Context<'_>,
                first: Option<i32>,
                after: Option<String>,
                last: Option<i32>,
                before: Option<String>,
                filter: Option<$filter>,
                order_by: Option<Vec<$order>>,
            ) -> async_graphql::Result<$crate::graphql::pagination::Conn<$node>> {
                let args = $crate::graphql::pagination::PageArgs { first, after, last, before };
                let select = $crate::graphql::pagination::filtered(ctx, filter)?;
                $(let select = sea_orm::QueryFilter::filter(select, $visible(ctx).await?);)?
                $crate::graphql::pagination::listing::<$field, _, _>(ctx, select, order_by, args, $crate::listing!(@ctor $node $($ctor)?)).await
            }

            $(#[$agg_doc])*
            async fn $aggregate(
                &self,
                ctx: &async_graphql::Context<'_>,
                filter: Option<$filter>,
            ) -> async_graphql::Result<$crate::graphql::aggregate::Aggregate<$field>> {
                let select = $crate::graphql::pagination::filtered(ctx, filter)?;
                $(let select = sea_orm::QueryFilter::filter(select, $visible(ctx).await?);)?
                Ok($crate::graphql::aggregate::Aggregate::new(ctx, select))
            }
        }

        impl $crate::graphql::aggregate::Named for $field {
            const AGGREGATE: &'static str = $name;
        }
    };
    (@ctor $node:ident) => { $node };
    (@ctor $node:ident $ctor:path) => { $ctor };
}
