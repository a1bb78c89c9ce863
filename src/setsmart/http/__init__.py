"""The local HTTP API (REST, Server-Sent Events, OpenAPI) and the web page's files."""
