print("monctl")
