//! A fixed number of connections, opened when first needed and again after one is lost, each
//! with its prepared statements.
//!
//! No pool crate: the ledger needs a handful of connections, a cap, and a new connection when
//! one broke; a semaphore and a `Vec` do that without another dependency.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, Row, Statement, Transaction};

use super::failure::classify;
use crate::error::Error;
use crate::store::BoxFuture;

/// Opens one connection from the configuration and drives it (spawns its task): the TLS hook
/// of [`PostgresOptions::connector`](super::PostgresOptions::connector).
pub type Connector =
    Arc<dyn Fn(Config) -> BoxFuture<'static, Result<Client, tokio_postgres::Error>> + Send + Sync>;

/// The default connector: no TLS (loopback, a Unix socket, or a private network).
pub(crate) fn no_tls() -> Connector {
    Arc::new(|config: Config| {
        Box::pin(async move {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::warn!(
                        error = &error as &dyn std::error::Error,
                        "ledger: a PostgreSQL connection ended"
                    );
                }
            });
            Ok(client)
        })
    })
}

/// The pool.
pub(crate) struct Pool {
    config: Config,
    connector: Connector,
    idle: Mutex<Vec<Conn>>,
    permits: Arc<Semaphore>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl Pool {
    pub(crate) fn new(config: Config, connector: Connector, size: usize) -> Arc<Self> {
        Arc::new(Self {
            config,
            connector,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size.max(1))),
        })
    }

    /// Opens a connection outside the pool (migrations), with `synchronous_commit=on`
    /// whatever the server's default: a commit returns once it is durable.
    pub(crate) async fn open(&self) -> Result<Client, Error> {
        let client = (self.connector)(self.config.clone())
            .await
            .map_err(classify)?;
        client
            .batch_execute("SET synchronous_commit = on")
            .await
            .map_err(classify)?;
        Ok(client)
    }

    /// A connection: an idle one still open, else a new one. Waits while all are in use.
    pub(crate) async fn get(self: &Arc<Self>) -> Result<Pooled, Error> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::WriterStopped)?;
        let reused = {
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            idle.retain(|conn| !conn.client.is_closed());
            idle.pop()
        };
        let conn = match reused {
            Some(conn) => conn,
            None => Conn {
                client: self.open().await?,
                statements: Mutex::new(HashMap::new()),
            },
        };
        Ok(Pooled {
            pool: Arc::clone(self),
            conn: Some(conn),
            _permit: permit,
        })
    }
}

/// A connection and its prepared statements.
pub(crate) struct Conn {
    client: Client,
    statements: Mutex<HashMap<&'static str, Statement>>,
}

/// A connection taken from the pool; back to it when dropped (unless it broke).
pub(crate) struct Pooled {
    pool: Arc<Pool>,
    conn: Option<Conn>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    fn conn(&mut self) -> &mut Conn {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }

    /// Begins a transaction (read committed; rows are locked explicitly).
    pub(crate) async fn begin(&mut self) -> Result<Tx<'_>, Error> {
        let Conn { client, statements } = self.conn();
        let tx = client.transaction().await.map_err(classify)?;
        Ok(Tx { tx, statements })
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !conn.client.is_closed()
        {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(conn);
        }
    }
}

/// A transaction with the connection's prepared statements: each SQL text is prepared once
/// per connection.
///
/// Its methods take `&self`: the updates of a batch that concern different orders run
/// concurrently on it, and tokio-postgres pipelines their statements on the connection.
pub(crate) struct Tx<'c> {
    tx: Transaction<'c>,
    statements: &'c Mutex<HashMap<&'static str, Statement>>,
}

/// Parameters of a statement.
pub(crate) type Params<'p> = [&'p (dyn ToSql + Sync)];

impl<'c> Tx<'c> {
    fn statements(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Statement>> {
        self.statements
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn statement(&self, sql: &'static str) -> Result<Statement, Error> {
        if let Some(statement) = self.statements().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql).await.map_err(classify)?;
        self.statements().insert(sql, statement.clone());
        Ok(statement)
    }

    /// Every row `sql` returns.
    pub(crate) async fn query(
        &self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Vec<Row>, Error> {
        let statement = self.statement(sql).await?;
        self.tx.query(&statement, params).await.map_err(classify)
    }

    /// The row `sql` returns, if any.
    pub(crate) async fn query_opt(
        &self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, Error> {
        let statement = self.statement(sql).await?;
        self.tx
            .query_opt(&statement, params)
            .await
            .map_err(classify)
    }

    /// How many rows `sql` changed.
    pub(crate) async fn execute(
        &self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<u64, Error> {
        let statement = self.statement(sql).await?;
        self.tx.execute(&statement, params).await.map_err(classify)
    }

    /// The transaction itself, for the merchant's code.
    pub(crate) fn transaction(&self) -> &Transaction<'c> {
        &self.tx
    }

    /// Commits (durably: the server runs with `synchronous_commit=on`).
    pub(crate) async fn commit(self) -> Result<(), Error> {
        self.tx.commit().await.map_err(classify)
    }
}
