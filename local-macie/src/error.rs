//! Macie2's error shapes: status code, `x-amzn-ErrorType` header, `{"message": ...}` body.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    ServiceQuotaExceeded,
    AccessDenied,
    ResourceNotFound,
    Conflict,
    Throttling,
    InternalServer,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::Validation,
        ErrorKind::ServiceQuotaExceeded,
        ErrorKind::AccessDenied,
        ErrorKind::ResourceNotFound,
        ErrorKind::Conflict,
        ErrorKind::Throttling,
        ErrorKind::InternalServer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationException",
            ErrorKind::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::Conflict => "ConflictException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::InternalServer => "InternalServerException",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::Validation => StatusCode::BAD_REQUEST,
            ErrorKind::ServiceQuotaExceeded => StatusCode::PAYMENT_REQUIRED,
            ErrorKind::AccessDenied => StatusCode::FORBIDDEN,
            ErrorKind::ResourceNotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Throttling => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::InternalServer => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "message": self.message }).to_string();
        let mut response = (self.kind.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            "x-amzn-ErrorType",
            HeaderValue::from_static(self.kind.name()),
        );
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        response
    }
}
