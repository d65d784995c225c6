// Catalogue filters: changing a menu submits the form at once (the Search button still works without JS).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("catalogue-filters");
  if (!form) { return; }
  form.querySelectorAll("select.auto-submit").forEach(function (select) {
    select.addEventListener("change", function () { form.submit(); });
  });
});
