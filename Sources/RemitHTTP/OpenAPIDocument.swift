/// The OpenAPI 3.1 description of a region node's HTTP interface, served at
/// `/api/v1/openapi.json`. A test holds it against the routes the router really has.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Remit region node",
        "version": "1.0.0",
        "description": "A region of the Remit remittance ledger. Amounts are integer minor units of their currency. Every error is application/problem+json (RFC 9457) with a stable type URN. Every /api/v1 route but sign-in, refresh, logout and this document needs a bearer token (POST /api/v1/auth/token); each operation's x-remit-roles names the roles it admits: 401 without a valid token, 403 without one of the roles."
      },
      "security": [
        {
          "bearer": []
        }
      ],
      "paths": {
        "/healthz": {
          "get": {
            "security": [],
            "summary": "The process is alive",
            "responses": {
              "200": {
                "description": "Alive",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Liveness"
                    }
                  }
                }
              }
            }
          }
        },
        "/readyz": {
          "get": {
            "security": [],
            "summary": "The region's database answers, its migrations are current and it belongs to this region",
            "responses": {
              "200": {
                "description": "Ready",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Readiness"
                    }
                  }
                }
              },
              "503": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/openapi.json": {
          "get": {
            "summary": "This document",
            "security": [],
            "responses": {
              "200": {
                "description": "The OpenAPI document",
                "content": {
                  "application/json": {}
                }
              }
            }
          }
        },
        "/api/v1/remittances": {
          "post": {
            "summary": "Create a remittance",
            "x-remit-roles": [
              "clerk"
            ],
            "description": "Answered only after the event is durably committed. With an Idempotency-Key, repeating the same request returns the original remittance (200); the same key with a different body is refused (422).",
            "parameters": [
              {
                "$ref": "#/components/parameters/IdempotencyKey"
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/RemittanceCreate"
                  }
                }
              }
            },
            "responses": {
              "201": {
                "$ref": "#/components/responses/Remittance"
              },
              "200": {
                "$ref": "#/components/responses/Remittance"
              },
              "400": {
                "$ref": "#/components/responses/Problem"
              },
              "409": {
                "$ref": "#/components/responses/Problem"
              },
              "413": {
                "$ref": "#/components/responses/Problem"
              },
              "415": {
                "$ref": "#/components/responses/Problem"
              },
              "422": {
                "$ref": "#/components/responses/Problem"
              },
              "503": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          },
          "get": {
            "summary": "List remittances, newest first",
            "x-remit-roles": [
              "clerk",
              "auditor",
              "operator"
            ],
            "parameters": [
              {
                "name": "limit",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 500,
                  "default": 50
                }
              },
              {
                "name": "cursor",
                "in": "query",
                "description": "nextCursor of the previous page",
                "schema": {
                  "type": "string"
                }
              },
              {
                "name": "status",
                "in": "query",
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              },
              {
                "name": "q",
                "in": "query",
                "description": "Matched case-insensitively against names, banks and the reference",
                "schema": {
                  "type": "string",
                  "maxLength": 100
                }
              }
            ],
            "responses": {
              "200": {
                "description": "A page",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Page"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/remittances/{id}": {
          "parameters": [
            {
              "$ref": "#/components/parameters/Id"
            }
          ],
          "get": {
            "summary": "One remittance, as of the log (reads its own writes)",
            "x-remit-roles": [
              "clerk",
              "auditor",
              "operator"
            ],
            "responses": {
              "200": {
                "$ref": "#/components/responses/Remittance"
              },
              "400": {
                "$ref": "#/components/responses/Problem"
              },
              "404": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          },
          "patch": {
            "summary": "Amend a remittance that is not cancelled",
            "x-remit-roles": [
              "clerk"
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/IfMatch"
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/RemittanceChanges"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "$ref": "#/components/responses/Remittance"
              },
              "400": {
                "$ref": "#/components/responses/Problem"
              },
              "404": {
                "$ref": "#/components/responses/Problem"
              },
              "409": {
                "$ref": "#/components/responses/Problem"
              },
              "412": {
                "$ref": "#/components/responses/Problem"
              },
              "422": {
                "$ref": "#/components/responses/Problem"
              },
              "428": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/remittances/{id}/cancel": {
          "parameters": [
            {
              "$ref": "#/components/parameters/Id"
            }
          ],
          "post": {
            "summary": "Cancel a remittance (nothing is ever deleted)",
            "x-remit-roles": [
              "clerk"
            ],
            "parameters": [
              {
                "$ref": "#/components/parameters/IfMatch"
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/Cancel"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "$ref": "#/components/responses/Remittance"
              },
              "400": {
                "$ref": "#/components/responses/Problem"
              },
              "404": {
                "$ref": "#/components/responses/Problem"
              },
              "409": {
                "$ref": "#/components/responses/Problem"
              },
              "412": {
                "$ref": "#/components/responses/Problem"
              },
              "422": {
                "$ref": "#/components/responses/Problem"
              },
              "428": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/remittances/{id}/events": {
          "parameters": [
            {
              "$ref": "#/components/parameters/Id"
            }
          ],
          "get": {
            "summary": "A remittance's history",
            "x-remit-roles": [
              "clerk",
              "auditor",
              "operator"
            ],
            "responses": {
              "200": {
                "description": "Its events in order",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/EventPage"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Problem"
              },
              "404": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/dashboard": {
          "get": {
            "summary": "Counts by status, amounts by currency, corridors, creates per minute",
            "x-remit-roles": [
              "clerk",
              "auditor",
              "operator"
            ],
            "responses": {
              "200": {
                "description": "The figures",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Dashboard"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/ledger/head": {
          "get": {
            "summary": "The region, its role and epoch, and the head of its log",
            "x-remit-roles": [
              "auditor",
              "operator"
            ],
            "responses": {
              "200": {
                "description": "The head",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Head"
                    }
                  }
                }
              },
              "503": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/ledger/events": {
          "get": {
            "summary": "The raw log, paged, for auditors (docs/ledger-format.md says how to verify it)",
            "x-remit-roles": [
              "auditor"
            ],
            "parameters": [
              {
                "name": "after",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 0,
                  "default": 0
                }
              },
              {
                "name": "limit",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 500,
                  "default": 50
                }
              }
            ],
            "responses": {
              "200": {
                "description": "Events after the position",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/EventPage"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/auth/token": {
          "post": {
            "summary": "Sign in: an access token (ES256 JWT) and a refresh token",
            "description": "Limited per client address and per user name: after too many wrong passwords a name is locked for a while (429, the same answer whether or not the user exists).",
            "security": [],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/SignIn"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "$ref": "#/components/responses/Tokens"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "422": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/auth/refresh": {
          "post": {
            "summary": "Trade a refresh token for new tokens; the old refresh token is used up",
            "description": "Presenting a used refresh token again revokes its whole sign-in (401 refresh-token-reused).",
            "security": [],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/RefreshTokenBody"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "$ref": "#/components/responses/Tokens"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/auth/logout": {
          "post": {
            "summary": "Revoke the sign-in a refresh token belongs to",
            "security": [],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/RefreshTokenBody"
                  }
                }
              }
            },
            "responses": {
              "204": {
                "description": "Revoked (or never known)"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/.well-known/jwks.json": {
          "get": {
            "summary": "The public keys that verify access tokens of every region",
            "security": [],
            "responses": {
              "200": {
                "description": "A JWK set",
                "content": {
                  "application/jwk-set+json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/users": {
          "get": {
            "summary": "Every user (never a password or its hash)",
            "x-remit-roles": [
              "admin"
            ],
            "responses": {
              "200": {
                "description": "The users",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/UserList"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          },
          "post": {
            "summary": "Add a user",
            "x-remit-roles": [
              "admin"
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "$ref": "#/components/schemas/NewUser"
                  }
                }
              }
            },
            "responses": {
              "201": {
                "description": "Added",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/User"
                    }
                  }
                }
              },
              "409": {
                "$ref": "#/components/responses/Problem"
              },
              "422": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/users/{name}/disable": {
          "parameters": [
            {
              "$ref": "#/components/parameters/UserName"
            }
          ],
          "post": {
            "summary": "Disable a user and revoke their refresh tokens",
            "x-remit-roles": [
              "admin"
            ],
            "responses": {
              "200": {
                "description": "Disabled",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/User"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/Problem"
              },
              "409": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/users/{name}/enable": {
          "parameters": [
            {
              "$ref": "#/components/parameters/UserName"
            }
          ],
          "post": {
            "summary": "Enable a user again",
            "x-remit-roles": [
              "admin"
            ],
            "responses": {
              "200": {
                "description": "Enabled",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/User"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/Problem"
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/audit": {
          "get": {
            "summary": "The audit log: every admin and operator action, oldest first",
            "x-remit-roles": [
              "auditor",
              "admin"
            ],
            "parameters": [
              {
                "name": "after",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              {
                "name": "limit",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 500
                }
              }
            ],
            "responses": {
              "200": {
                "description": "Records after the position",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/AuditPage"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/replication": {
          "get": {
            "summary": "Replication figures of this node: lag in events and milliseconds, time since the writer was last heard from, segments and bytes applied and rejected (by reason), apply duration",
            "x-remit-roles": [
              "operator",
              "auditor"
            ],
            "responses": {
              "200": {
                "description": "The figures",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/regions": {
          "get": {
            "summary": "Every region at a glance: the routing record the router follows, and each region's role, epoch, head, lag behind the writer, write lease and whether it answers",
            "x-remit-roles": [
              "operator",
              "auditor",
              "admin"
            ],
            "responses": {
              "200": {
                "description": "The regions",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/admin/failover": {
          "post": {
            "summary": "Run a failover to the target region: planned (preflight, fence, drain, promote, route, reverse) or, with force and acceptDataLoss, away from a writer region that is gone (stop writes, fence or wait out its lease, promote, route). Answers when it has ended, with the runbook execution's id",
            "x-remit-roles": [
              "operator"
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "target"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "target": {
                        "type": "string"
                      },
                      "force": {
                        "type": "boolean"
                      },
                      "acceptDataLoss": {
                        "type": "boolean"
                      }
                    }
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "The failover ended; its execution",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              },
              "409": {
                "$ref": "#/components/responses/Problem"
              },
              "422": {
                "$ref": "#/components/responses/Problem"
              },
              "503": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/admin/runbooks": {
          "get": {
            "summary": "Runbook executions (failovers), newest first, with every step's outcome, duration and detail",
            "x-remit-roles": [
              "operator",
              "auditor",
              "admin"
            ],
            "parameters": [
              {
                "name": "limit",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 1000
                }
              }
            ],
            "responses": {
              "200": {
                "description": "The executions",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        },
        "/api/v1/admin/runbooks/{id}": {
          "get": {
            "summary": "One runbook execution with every step",
            "x-remit-roles": [
              "operator",
              "auditor",
              "admin"
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string",
                  "format": "uuid"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "The execution",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Problem"
              },
              "403": {
                "$ref": "#/components/responses/Problem"
              },
              "404": {
                "$ref": "#/components/responses/Problem"
              },
              "429": {
                "$ref": "#/components/responses/Problem"
              }
            }
          }
        }
      },
      "components": {
        "securitySchemes": {
          "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT"
          }
        },
        "parameters": {
          "UserName": {
            "name": "name",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string",
              "pattern": "^[a-z][a-z0-9._-]{0,63}$"
            }
          },
          "Id": {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          "IfMatch": {
            "name": "If-Match",
            "in": "header",
            "required": true,
            "description": "The ETag of the version being changed, such as \"3\"",
            "schema": {
              "type": "string"
            }
          },
          "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "1 to 128 printable ASCII characters",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128
            }
          }
        },
        "responses": {
          "Remittance": {
            "description": "The remittance; ETag is its version",
            "headers": {
              "ETag": {
                "schema": {
                  "type": "string"
                }
              },
              "Location": {
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Remittance"
                }
              }
            }
          },
          "Tokens": {
            "description": "Signed in",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Tokens"
                }
              }
            }
          },
          "Problem": {
            "description": "RFC 9457 problem",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        },
        "schemas": {
          "SignIn": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "username",
              "password"
            ],
            "properties": {
              "username": {
                "type": "string"
              },
              "password": {
                "type": "string"
              }
            }
          },
          "RefreshTokenBody": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "refreshToken"
            ],
            "properties": {
              "refreshToken": {
                "type": "string"
              }
            }
          },
          "Tokens": {
            "type": "object",
            "required": [
              "accessToken",
              "tokenType",
              "expiresIn",
              "refreshToken",
              "refreshExpiresIn",
              "roles"
            ],
            "properties": {
              "accessToken": {
                "type": "string"
              },
              "tokenType": {
                "type": "string",
                "enum": [
                  "Bearer"
                ]
              },
              "expiresIn": {
                "type": "integer"
              },
              "refreshToken": {
                "type": "string"
              },
              "refreshExpiresIn": {
                "type": "integer"
              },
              "roles": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Role"
                }
              }
            }
          },
          "Role": {
            "type": "string",
            "enum": [
              "clerk",
              "auditor",
              "operator",
              "admin"
            ]
          },
          "User": {
            "type": "object",
            "required": [
              "name",
              "roles",
              "disabled",
              "createdAt",
              "updatedAt"
            ],
            "properties": {
              "name": {
                "type": "string"
              },
              "roles": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Role"
                }
              },
              "disabled": {
                "type": "boolean"
              },
              "createdAt": {
                "type": "string",
                "format": "date-time"
              },
              "updatedAt": {
                "type": "string",
                "format": "date-time"
              }
            }
          },
          "UserList": {
            "type": "object",
            "properties": {
              "items": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/User"
                }
              }
            }
          },
          "NewUser": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "name",
              "roles",
              "password"
            ],
            "properties": {
              "name": {
                "type": "string",
                "pattern": "^[a-z][a-z0-9._-]{0,63}$"
              },
              "roles": {
                "type": "array",
                "minItems": 1,
                "items": {
                  "$ref": "#/components/schemas/Role"
                }
              },
              "password": {
                "type": "string",
                "description": "12 to 72 bytes"
              }
            }
          },
          "AuditPage": {
            "type": "object",
            "properties": {
              "items": {
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "position": {
                      "type": "integer"
                    },
                    "recordedAt": {
                      "type": "string",
                      "format": "date-time"
                    },
                    "region": {
                      "type": "string"
                    },
                    "actor": {
                      "type": "string"
                    },
                    "source": {
                      "type": "string"
                    },
                    "action": {
                      "type": "string"
                    },
                    "target": {
                      "type": "string"
                    },
                    "outcome": {
                      "type": "string",
                      "enum": [
                        "succeeded",
                        "refused",
                        "failed"
                      ]
                    },
                    "detail": {
                      "type": "string"
                    }
                  }
                }
              },
              "next": {
                "type": [
                  "integer",
                  "null"
                ]
              }
            }
          },
          "Status": {
            "type": "string",
            "enum": [
              "created",
              "amended",
              "cancelled"
            ]
          },
          "Text": {
            "type": "string",
            "minLength": 1,
            "maxLength": 100
          },
          "RemittanceCreate": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "senderName",
              "senderBank",
              "senderAccount",
              "receiverName",
              "receiverBank",
              "receiverAccount",
              "amount",
              "currency"
            ],
            "properties": {
              "senderName": {
                "$ref": "#/components/schemas/Text"
              },
              "senderBank": {
                "$ref": "#/components/schemas/Text"
              },
              "senderAccount": {
                "$ref": "#/components/schemas/Text"
              },
              "receiverName": {
                "$ref": "#/components/schemas/Text"
              },
              "receiverBank": {
                "$ref": "#/components/schemas/Text"
              },
              "receiverAccount": {
                "$ref": "#/components/schemas/Text"
              },
              "amount": {
                "type": "integer",
                "format": "int64",
                "minimum": 1,
                "description": "Minor units"
              },
              "currency": {
                "type": "string",
                "pattern": "^[A-Z]{3}$",
                "description": "ISO 4217"
              },
              "reference": {
                "type": "string",
                "maxLength": 140
              }
            }
          },
          "RemittanceChanges": {
            "type": "object",
            "additionalProperties": false,
            "minProperties": 1,
            "description": "Only the fields to change; \"reference\": \"\" clears the reference",
            "properties": {
              "senderName": {
                "$ref": "#/components/schemas/Text"
              },
              "senderBank": {
                "$ref": "#/components/schemas/Text"
              },
              "senderAccount": {
                "$ref": "#/components/schemas/Text"
              },
              "receiverName": {
                "$ref": "#/components/schemas/Text"
              },
              "receiverBank": {
                "$ref": "#/components/schemas/Text"
              },
              "receiverAccount": {
                "$ref": "#/components/schemas/Text"
              },
              "amount": {
                "type": "integer",
                "format": "int64",
                "minimum": 1
              },
              "currency": {
                "type": "string",
                "pattern": "^[A-Z]{3}$"
              },
              "reference": {
                "type": "string",
                "maxLength": 140
              }
            }
          },
          "Cancel": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "reason"
            ],
            "properties": {
              "reason": {
                "type": "string",
                "minLength": 1,
                "maxLength": 500
              }
            }
          },
          "Remittance": {
            "type": "object",
            "required": [
              "id",
              "senderName",
              "senderBank",
              "senderAccount",
              "receiverName",
              "receiverBank",
              "receiverAccount",
              "amount",
              "currency",
              "status",
              "version",
              "createdAt",
              "updatedAt"
            ],
            "properties": {
              "id": {
                "type": "string",
                "format": "uuid"
              },
              "senderName": {
                "type": "string"
              },
              "senderBank": {
                "type": "string"
              },
              "senderAccount": {
                "type": "string"
              },
              "receiverName": {
                "type": "string"
              },
              "receiverBank": {
                "type": "string"
              },
              "receiverAccount": {
                "type": "string"
              },
              "amount": {
                "type": "integer",
                "format": "int64"
              },
              "currency": {
                "type": "string"
              },
              "reference": {
                "type": "string"
              },
              "status": {
                "$ref": "#/components/schemas/Status"
              },
              "version": {
                "type": "integer"
              },
              "createdAt": {
                "type": "string",
                "format": "date-time"
              },
              "updatedAt": {
                "type": "string",
                "format": "date-time"
              },
              "cancellationReason": {
                "type": "string"
              }
            }
          },
          "Page": {
            "type": "object",
            "required": [
              "items"
            ],
            "properties": {
              "items": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Remittance"
                }
              },
              "nextCursor": {
                "type": "string"
              }
            }
          },
          "Event": {
            "type": "object",
            "required": [
              "position",
              "epoch",
              "streamId",
              "streamVersion",
              "type",
              "recordedAtMicroseconds",
              "payload",
              "metadata",
              "hash"
            ],
            "properties": {
              "position": {
                "type": "integer"
              },
              "epoch": {
                "type": "integer"
              },
              "streamId": {
                "type": "string",
                "format": "uuid"
              },
              "streamVersion": {
                "type": "integer"
              },
              "type": {
                "type": "string"
              },
              "recordedAtMicroseconds": {
                "type": "integer"
              },
              "payload": {
                "type": "string",
                "contentEncoding": "base64"
              },
              "metadata": {
                "type": "string",
                "contentEncoding": "base64"
              },
              "hash": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$"
              }
            }
          },
          "EventPage": {
            "type": "object",
            "required": [
              "items"
            ],
            "properties": {
              "items": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Event"
                }
              },
              "next": {
                "type": "integer"
              }
            }
          },
          "Head": {
            "type": "object",
            "required": [
              "region",
              "role",
              "epoch",
              "position",
              "hash"
            ],
            "properties": {
              "region": {
                "type": "string"
              },
              "role": {
                "type": "string",
                "enum": [
                  "writer",
                  "reader",
                  "fenced"
                ]
              },
              "epoch": {
                "type": "integer"
              },
              "position": {
                "type": "integer"
              },
              "hash": {
                "type": "string"
              }
            }
          },
          "Dashboard": {
            "type": "object",
            "properties": {
              "countsByStatus": {
                "type": "object",
                "additionalProperties": {
                  "type": "integer"
                }
              },
              "currencies": {
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "currency": {
                      "type": "string"
                    },
                    "count": {
                      "type": "integer"
                    },
                    "amount": {
                      "type": "integer"
                    }
                  }
                }
              },
              "corridors": {
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "senderBank": {
                      "type": "string"
                    },
                    "receiverBank": {
                      "type": "string"
                    },
                    "currency": {
                      "type": "string"
                    },
                    "count": {
                      "type": "integer"
                    },
                    "amount": {
                      "type": "integer"
                    }
                  }
                }
              },
              "createdPerMinute": {
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "minute": {
                      "type": "string",
                      "format": "date-time"
                    },
                    "created": {
                      "type": "integer"
                    }
                  }
                }
              },
              "projectedPosition": {
                "type": "integer"
              }
            }
          },
          "Liveness": {
            "type": "object",
            "properties": {
              "status": {
                "type": "string"
              }
            }
          },
          "Readiness": {
            "type": "object",
            "properties": {
              "status": {
                "type": "string"
              },
              "region": {
                "type": "string"
              },
              "role": {
                "type": "string"
              },
              "epoch": {
                "type": "integer"
              },
              "headPosition": {
                "type": "integer"
              }
            }
          },
          "Problem": {
            "type": "object",
            "required": [
              "type",
              "title",
              "status"
            ],
            "properties": {
              "type": {
                "type": "string"
              },
              "title": {
                "type": "string"
              },
              "status": {
                "type": "integer"
              },
              "detail": {
                "type": "string"
              },
              "errors": {
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "field": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              },
              "writer": {
                "type": "string",
                "description": "For not-writer problems: the region that is the writer"
              }
            }
          }
        }
      }
    }
    """#
}
