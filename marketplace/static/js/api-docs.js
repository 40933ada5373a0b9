// Starts Swagger UI (served by the app itself) on the generated OpenAPI document.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  // validatorUrl: null, or Swagger UI shows a badge image from validator.swagger.io
  // (outside the intranet, and sent our document's address).
  window.SwaggerUIBundle({ url: node.getAttribute("data-spec-url"), dom_id: "#swagger-ui",
                           validatorUrl: null });
});
