/// The OpenAPI 3.1 description of a region node's HTTP interface, served at
/// `/api/v1/openapi.json`. A test holds it against the routes the router really has.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Remit region node",
        "version": "1.0.0",
        "description": "A region of the Remit remittance ledger. Amounts are integer minor units of their currency. Every error is application/problem+json (RFC 9457) with a stable type URN."
      },
      "paths": {
        "/healthz": {
          "get": {
            "summary": "The process is alive",
            "responses": { "200": { "description": "Alive", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Liveness" } } } } }
          }
        },
        "/readyz": {
          "get": {
            "summary": "The region's database answers, its migrations are current and it belongs to this region",
            "responses": {
              "200": { "description": "Ready", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Readiness" } } } },
              "503": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/api/v1/openapi.json": {
          "get": { "summary": "This document", "responses": { "200": { "description": "The OpenAPI document", "content": { "application/json": {} } } } }
        },
        "/api/v1/remittances": {
          "post": {
            "summary": "Create a remittance",
            "description": "Answered only after the event is durably committed. With an Idempotency-Key, repeating the same request returns the original remittance (200); the same key with a different body is refused (422).",
            "parameters": [ { "$ref": "#/components/parameters/IdempotencyKey" } ],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RemittanceCreate" } } } },
            "responses": {
              "201": { "$ref": "#/components/responses/Remittance" },
              "200": { "$ref": "#/components/responses/Remittance" },
              "400": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" },
              "413": { "$ref": "#/components/responses/Problem" },
              "415": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" },
              "503": { "$ref": "#/components/responses/Problem" }
            }
          },
          "get": {
            "summary": "List remittances, newest first",
            "parameters": [
              { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 } },
              { "name": "cursor", "in": "query", "description": "nextCursor of the previous page", "schema": { "type": "string" } },
              { "name": "status", "in": "query", "schema": { "$ref": "#/components/schemas/Status" } },
              { "name": "q", "in": "query", "description": "Matched case-insensitively against names, banks and the reference", "schema": { "type": "string", "maxLength": 100 } }
            ],
            "responses": {
              "200": { "description": "A page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } },
              "400": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/api/v1/remittances/{id}": {
          "parameters": [ { "$ref": "#/components/parameters/Id" } ],
          "get": {
            "summary": "One remittance, as of the log (reads its own writes)",
            "responses": {
              "200": { "$ref": "#/components/responses/Remittance" },
              "400": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          },
          "patch": {
            "summary": "Amend a remittance that is not cancelled",
            "parameters": [ { "$ref": "#/components/parameters/IfMatch" } ],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RemittanceChanges" } } } },
            "responses": {
              "200": { "$ref": "#/components/responses/Remittance" },
              "400": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" },
              "412": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" },
              "428": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/api/v1/remittances/{id}/cancel": {
          "parameters": [ { "$ref": "#/components/parameters/Id" } ],
          "post": {
            "summary": "Cancel a remittance (nothing is ever deleted)",
            "parameters": [ { "$ref": "#/components/parameters/IfMatch" } ],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Cancel" } } } },
            "responses": {
              "200": { "$ref": "#/components/responses/Remittance" },
              "400": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" },
              "412": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" },
              "428": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/api/v1/remittances/{id}/events": {
          "parameters": [ { "$ref": "#/components/parameters/Id" } ],
          "get": {
            "summary": "A remittance's history",
            "responses": {
              "200": { "description": "Its events in order", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EventPage" } } } },
              "400": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/api/v1/dashboard": {
          "get": {
            "summary": "Counts by status, amounts by currency, corridors, creates per minute",
            "responses": { "200": { "description": "The figures", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Dashboard" } } } } }
          }
        },
        "/api/v1/ledger/head": {
          "get": {
            "summary": "The region, its role and epoch, and the head of its log",
            "responses": {
              "200": { "description": "The head", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Head" } } } },
              "503": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/api/v1/ledger/events": {
          "get": {
            "summary": "The raw log, paged, for auditors (docs/ledger-format.md says how to verify it)",
            "parameters": [
              { "name": "after", "in": "query", "schema": { "type": "integer", "minimum": 0, "default": 0 } },
              { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 } }
            ],
            "responses": {
              "200": { "description": "Events after the position", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EventPage" } } } },
              "400": { "$ref": "#/components/responses/Problem" }
            }
          }
        }
      },
      "components": {
        "parameters": {
          "Id": { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } },
          "IfMatch": { "name": "If-Match", "in": "header", "required": true, "description": "The ETag of the version being changed, such as \"3\"", "schema": { "type": "string" } },
          "IdempotencyKey": { "name": "Idempotency-Key", "in": "header", "required": false, "description": "1 to 128 printable ASCII characters", "schema": { "type": "string", "minLength": 1, "maxLength": 128 } }
        },
        "responses": {
          "Remittance": {
            "description": "The remittance; ETag is its version",
            "headers": { "ETag": { "schema": { "type": "string" } }, "Location": { "schema": { "type": "string" } } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Remittance" } } }
          },
          "Problem": { "description": "RFC 9457 problem", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
        },
        "schemas": {
          "Status": { "type": "string", "enum": ["created", "amended", "cancelled"] },
          "Text": { "type": "string", "minLength": 1, "maxLength": 100 },
          "RemittanceCreate": {
            "type": "object",
            "additionalProperties": false,
            "required": ["senderName", "senderBank", "senderAccount", "receiverName", "receiverBank", "receiverAccount", "amount", "currency"],
            "properties": {
              "senderName": { "$ref": "#/components/schemas/Text" },
              "senderBank": { "$ref": "#/components/schemas/Text" },
              "senderAccount": { "$ref": "#/components/schemas/Text" },
              "receiverName": { "$ref": "#/components/schemas/Text" },
              "receiverBank": { "$ref": "#/components/schemas/Text" },
              "receiverAccount": { "$ref": "#/components/schemas/Text" },
              "amount": { "type": "integer", "format": "int64", "minimum": 1, "description": "Minor units" },
              "currency": { "type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217" },
              "reference": { "type": "string", "maxLength": 140 }
            }
          },
          "RemittanceChanges": {
            "type": "object",
            "additionalProperties": false,
            "minProperties": 1,
            "description": "Only the fields to change; \"reference\": \"\" clears the reference",
            "properties": {
              "senderName": { "$ref": "#/components/schemas/Text" },
              "senderBank": { "$ref": "#/components/schemas/Text" },
              "senderAccount": { "$ref": "#/components/schemas/Text" },
              "receiverName": { "$ref": "#/components/schemas/Text" },
              "receiverBank": { "$ref": "#/components/schemas/Text" },
              "receiverAccount": { "$ref": "#/components/schemas/Text" },
              "amount": { "type": "integer", "format": "int64", "minimum": 1 },
              "currency": { "type": "string", "pattern": "^[A-Z]{3}$" },
              "reference": { "type": "string", "maxLength": 140 }
            }
          },
          "Cancel": {
            "type": "object", "additionalProperties": false, "required": ["reason"],
            "properties": { "reason": { "type": "string", "minLength": 1, "maxLength": 500 } }
          },
          "Remittance": {
            "type": "object",
            "required": ["id", "senderName", "senderBank", "senderAccount", "receiverName", "receiverBank", "receiverAccount", "amount", "currency", "status", "version", "createdAt", "updatedAt"],
            "properties": {
              "id": { "type": "string", "format": "uuid" },
              "senderName": { "type": "string" }, "senderBank": { "type": "string" }, "senderAccount": { "type": "string" },
              "receiverName": { "type": "string" }, "receiverBank": { "type": "string" }, "receiverAccount": { "type": "string" },
              "amount": { "type": "integer", "format": "int64" },
              "currency": { "type": "string" },
              "reference": { "type": "string" },
              "status": { "$ref": "#/components/schemas/Status" },
              "version": { "type": "integer" },
              "createdAt": { "type": "string", "format": "date-time" },
              "updatedAt": { "type": "string", "format": "date-time" },
              "cancellationReason": { "type": "string" }
            }
          },
          "Page": {
            "type": "object", "required": ["items"],
            "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/Remittance" } }, "nextCursor": { "type": "string" } }
          },
          "Event": {
            "type": "object",
            "required": ["position", "epoch", "streamId", "streamVersion", "type", "recordedAtMicroseconds", "payload", "metadata", "hash"],
            "properties": {
              "position": { "type": "integer" }, "epoch": { "type": "integer" },
              "streamId": { "type": "string", "format": "uuid" }, "streamVersion": { "type": "integer" },
              "type": { "type": "string" }, "recordedAtMicroseconds": { "type": "integer" },
              "payload": { "type": "string", "contentEncoding": "base64" },
              "metadata": { "type": "string", "contentEncoding": "base64" },
              "hash": { "type": "string", "pattern": "^[0-9a-f]{64}$" }
            }
          },
          "EventPage": {
            "type": "object", "required": ["items"],
            "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/Event" } }, "next": { "type": "integer" } }
          },
          "Head": {
            "type": "object", "required": ["region", "role", "epoch", "position", "hash"],
            "properties": {
              "region": { "type": "string" }, "role": { "type": "string", "enum": ["writer", "reader", "fenced"] },
              "epoch": { "type": "integer" }, "position": { "type": "integer" }, "hash": { "type": "string" }
            }
          },
          "Dashboard": {
            "type": "object",
            "properties": {
              "countsByStatus": { "type": "object", "additionalProperties": { "type": "integer" } },
              "currencies": { "type": "array", "items": { "type": "object", "properties": { "currency": { "type": "string" }, "count": { "type": "integer" }, "amount": { "type": "integer" } } } },
              "corridors": { "type": "array", "items": { "type": "object", "properties": { "senderBank": { "type": "string" }, "receiverBank": { "type": "string" }, "currency": { "type": "string" }, "count": { "type": "integer" }, "amount": { "type": "integer" } } } },
              "createdPerMinute": { "type": "array", "items": { "type": "object", "properties": { "minute": { "type": "string", "format": "date-time" }, "created": { "type": "integer" } } } },
              "projectedPosition": { "type": "integer" }
            }
          },
          "Liveness": { "type": "object", "properties": { "status": { "type": "string" } } },
          "Readiness": {
            "type": "object",
            "properties": { "status": { "type": "string" }, "region": { "type": "string" }, "role": { "type": "string" }, "epoch": { "type": "integer" }, "headPosition": { "type": "integer" } }
          },
          "Problem": {
            "type": "object", "required": ["type", "title", "status"],
            "properties": {
              "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" },
              "errors": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } },
              "writer": { "type": "string", "description": "For not-writer problems: the region that is the writer" }
            }
          }
        }
      }
    }
    """#
}
