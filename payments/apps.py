from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from outages.settlement import register_settlement_source
        from payments.settlement import PaymentsSettlements

        register_settlement_source(PaymentsSettlements())
