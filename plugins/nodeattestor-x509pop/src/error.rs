//! Shorthands for this plugin's [`NodeAttestorError`]s.

use spire_plugin::NodeAttestorError;

use crate::PLUGIN_NAME;

pub(crate) fn invalid(what: &'static str, message: impl Into<String>) -> NodeAttestorError {
    NodeAttestorError::InvalidArgument {
        plugin: PLUGIN_NAME.to_owned(),
        what,
        message: message.into(),
    }
}

pub(crate) fn denied(message: impl Into<String>) -> NodeAttestorError {
    NodeAttestorError::PermissionDenied {
        plugin: PLUGIN_NAME.to_owned(),
        message: message.into(),
    }
}

pub(crate) fn internal(message: impl Into<String>) -> NodeAttestorError {
    NodeAttestorError::Internal {
        plugin: PLUGIN_NAME.to_owned(),
        message: message.into(),
    }
}
