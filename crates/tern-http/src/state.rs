//! What every handler can reach.

use std::sync::Arc;

use tern_app::App;

/// Shared by all handlers: the application and the portal's templates.
#[derive(Clone)]
pub struct HttpState {
    pub app: App,
    pub(crate) pages: Arc<minijinja::Environment<'static>>,
}

impl HttpState {
    pub fn new(app: App) -> Self {
        Self {
            app,
            pages: Arc::new(crate::portal::templates::environment()),
        }
    }
}
