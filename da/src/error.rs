//! Errors of the local DA node, with the JSON-RPC codes it answers them with.

/// Why the local DA node refused or failed a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalDaError {
    /// The request carried no bearer token, or a token other than the node's.
    #[error("unauthorized: missing or invalid bearer token in the Authorization header")]
    Unauthorized,
    /// A blob is larger than the node accepts.
    #[error("blob {index} is {size} bytes, over the maximum blob size of {max} bytes; split it into smaller blobs")]
    BlobTooLarge {
        /// Position of the blob in the request.
        index: usize,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A namespace is malformed or not allowed for user blobs.
    #[error("invalid namespace: {0}")]
    InvalidNamespace(String),
    /// A blob is malformed (bad share version, commitment mismatch, bad encoding).
    #[error("invalid blob: {0}")]
    InvalidBlob(String),
    /// The request's parameters could not be read.
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// No such method.
    #[error("method not found: {0}")]
    MethodNotFound(String),
    /// No blob with that namespace and commitment at that height.
    #[error("blob: not found")]
    BlobNotFound,
    /// The height is above the node's head.
    #[error("header: given height is from the future: networkHeight: {head}, requestedHeight: {requested}")]
    HeightFromFuture {
        /// Current head.
        head: u64,
        /// Requested height.
        requested: u64,
    },
    /// Height 0 does not exist.
    #[error("height must be bigger than zero")]
    ZeroHeight,
    /// A wait exceeded its deadline.
    #[error("timed out waiting for height {0}")]
    Timeout(u64),
    /// The submitted blobs cannot fit in one DA block.
    #[error(
        "blobs do not fit in one data square of the maximum size; submit fewer or smaller blobs"
    )]
    SquareFull,
    /// Too many blob bytes are waiting for a block.
    #[error(
        "mempool is full ({queued} blob bytes waiting, max {max}); retry after the next block"
    )]
    MempoolFull {
        /// Bytes already waiting.
        queued: usize,
        /// The limit.
        max: usize,
    },
    /// The node is shutting down.
    #[error("DA node is shutting down")]
    ShuttingDown,
    /// The store failed.
    #[error("storage error: {0}; the DA data directory may be damaged")]
    Storage(String),
    /// A bug or an inconsistent store.
    #[error("internal error: {0}")]
    Internal(String),
}

impl LocalDaError {
    /// The JSON-RPC error code. celestia-node (go-jsonrpc) answers application errors with
    /// code 1 and the error text; malformed requests use the JSON-RPC 2.0 codes.
    pub fn rpc_code(&self) -> i32 {
        match self {
            Self::MethodNotFound(_) => -32601,
            Self::InvalidParams(_) => -32602,
            Self::Unauthorized => 401,
            _ => 1,
        }
    }
}

impl From<redb::Error> for LocalDaError {
    fn from(e: redb::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

macro_rules! storage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for LocalDaError {
            fn from(e: $t) -> Self {
                Self::Storage(e.to_string())
            }
        }
    )*};
}
storage_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
