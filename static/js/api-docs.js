// The API's page (/api/): Swagger UI (static/vendor/swagger-ui/) draws the OpenAPI document
// named by the container's data-openapi-url. Without JavaScript the page links to the document.
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui");
  if (!container || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: container.getAttribute("data-openapi-url"),
    domNode: container,
    deepLinking: true,
    tryItOutEnabled: true,
    validatorUrl: null, // no call to an outside validator
    defaultModelsExpandDepth: 0,
  });
})();
