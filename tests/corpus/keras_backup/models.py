import keras
from keras import layers


def build_classifier(hidden=32, depth=2, lr=3e-3):
    inputs = keras.Input(shape=(2,), name="xy")
    h = inputs
    for i in range(depth):
        h = layers.Dense(hidden, activation="relu", name=f"dense_{i}")(h)
    outputs = layers.Dense(2, name="logits")(h)
    model = keras.Model(inputs, outputs, name="spiral_clf")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
