"""creditbank — the ledger of the Yunyang county lifelong-learning credit bank (学分银行)."""
