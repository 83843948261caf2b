//! The `pivot` command: serve, migrate, print the schema.

use clap::{Parser, Subcommand};
use server::app::{self, AppState};
use server::config::{Config, DEFAULT_DATABASE_URL};
use server::{db, graphql};

#[derive(Parser)]
#[command(
    name = "pivot",
    version,
    about = "Pivot: one GraphQL graph for network-security investigations"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Args, Clone)]
struct DatabaseArg {
    /// sqlite://path/to/file.db or postgres://user@host/db
    #[arg(long = "database", env = "PIVOT_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        #[arg(long, env = "PIVOT_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PIVOT_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    let command = Cli::parse().command.unwrap_or_else(|| Command::Serve {
        listen: std::env::var("PIVOT_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into()),
        database: DatabaseArg {
            url: std::env::var("PIVOT_DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into()),
        },
    });
    match command {
        Command::Serve { listen, database } => {
            let config = Config {
                database_url: database.url,
                ..Config::default()
            };
            let state = AppState::start(config.clone()).await?;
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            println!(
                "Pivot listening on http://{}/graphql (database {})",
                listener.local_addr()?,
                db::redact(&config.database_url)
            );
            app::serve(listener, state).await
        }
        Command::Migrate { database } => {
            let (conn, _) = db::connect(&database.url, None).await?;
            db::migrate(&conn).await?;
            println!("database {} is up to date", db::redact(&database.url));
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}
