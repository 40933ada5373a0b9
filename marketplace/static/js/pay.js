// The co-pay by card, with Stripe.js (loaded from STRIPE_JS_URL before this file; the
// Content-Security-Policy forbids inline scripts). The card becomes a PaymentMethod id in
// the form's hidden field and the form is posted; the server creates and confirms the
// PaymentIntent. When the bank asks for 3-D Secure, the page comes back with the
// intent's client secret, Stripe.js shows the card check, and the page asks the server
// to look at the payment again.
(function () {
  "use strict";

  function paymentMethodId(stripe, card) {
    return Promise.resolve(stripe.createPaymentMethod({ type: "card", card: card }))
      .then(function (result) {
        if (result && result.paymentMethod) { return result.paymentMethod.id; }
        if (result && result.error) { throw result.error; }
        // localstripe's test copy of Stripe.js makes no PaymentMethods: the card of a
        // card token stands in for one (its PaymentIntents accept card_ ids).
        return stripe.createToken(card).then(function (tokenResult) {
          if (tokenResult.error) { throw tokenResult.error; }
          return tokenResult.token.card.id;
        });
      });
  }

  var form = document.getElementById("pay-form");
  if (form && window.Stripe) {
    var stripe = window.Stripe(form.getAttribute("data-stripe-key"));
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    var field = form.querySelector("input[name$='payment_method']");
    var busy = false;
    form.addEventListener("submit", function (event) {
      if (field.value) { return; }
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      errors.textContent = "";
      paymentMethodId(stripe, card).then(function (id) {
        field.value = id;
        form.submit();
      }).catch(function (error) {
        errors.textContent = (error && error.message) || form.getAttribute("data-card-error");
        busy = false;
      });
    });
  }

  var pending = document.getElementById("payment-confirmation");
  if (pending && window.Stripe) {
    window.Stripe(pending.getAttribute("data-stripe-key"))
      .confirmCardPayment(pending.getAttribute("data-client-secret"))
      .then(function () { pending.submit(); });
  }
})();
