//! The root listing of each type of the one query model: `xs(filter, orderBy,
//! distinctOn, first, after, last, before, skip)` and `xsAggregate(filter)`, declared once for every type.

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
                #[graphql(desc = "Keeps one row of each combination of these fields' values: the newest (the greatest ID).")]
                distinct_on: Option<Vec<$field>>,
                #[graphql(desc = "Leaves out this many rows (at most 10,000) after the cursor, for numbered pages; deeper pages walk cursors.")]
                skip: Option<i32>,
            ) -> async_graphql::Result<$crate::graphql::pagination::Conn<$node>> {
                let args = $crate::graphql::pagination::PageArgs { first, after, last, before };
                let select = $crate::graphql::pagination::filtered(ctx, filter)?;
                $(let select = select.narrowed($visible(ctx).await?);)?
                let shape = $crate::graphql::pagination::Shape { order: order_by, distinct_on, skip };
                $crate::graphql::pagination::listing::<$field, _, _>(ctx, select, shape, args, $crate::listing!(@ctor $node $($ctor)?)).await
            }

            $(#[$agg_doc])*
            async fn $aggregate(
                &self,
                ctx: &async_graphql::Context<'_>,
                filter: Option<$filter>,
            ) -> async_graphql::Result<$crate::graphql::aggregate::Aggregate<$field>> {
                let select = $crate::graphql::pagination::filtered(ctx, filter)?;
                $(let select = select.narrowed($visible(ctx).await?);)?
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
